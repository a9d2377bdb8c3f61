<?php
// headroom.memory fleet test: 60 MiB per request in 1 MiB strings, held for 0.3 s. PHP's allocator keeps most of
// its 2 MiB chunks after the request, so a child that served a few stays grown, as real application workers do.
$a = [];
for ($i = 0; $i < 60; $i++) {
    $a[] = str_repeat(chr(65 + $i % 26), 1 << 20);
}
usleep(300000);
echo count($a), "\n";
