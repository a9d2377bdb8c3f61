<?php
// headroom.memory workers test: ~29 MiB of small strings per request, held for 0.3 s (a request that takes
// time, so a measurement under load sees busy workers at their peak); PHP's allocator keeps most of the
// chunks after the request, so a worker that served it stays grown, as real application workers do.
$a = [];
for ($i = 0; $i < 250000; $i++) {
    $a[] = str_repeat("x", 64) . $i;
}
usleep(300000);
echo count($a), "\n";
