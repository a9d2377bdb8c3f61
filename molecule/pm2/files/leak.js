// headroom.memory pm2 test app (fork mode): idle at a few tens of MiB until the file leak.on exists beside it,
// then N MiB more every 250 ms (N: the file's content, 1 to 4; empty: 4), capped at 320 MiB (a guard: the 1 GiB host
// must never meet the kernel's OOM killer, even when PM2 does not act). Its process name is unique, so a kernel OOM
// kill would name it.
'use strict';
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

process.title = 'hr-pm2-leak';
// what this process really runs with: the test reads it, since PM2's process title overwrites /proc/<pid>/cmdline
fs.writeFileSync(path.join(__dirname, 'live', `${process.pid}.json`), JSON.stringify({
  app: 'hr-pm2-leak',
  execArgv: process.execArgv,
  heap_limit_mb: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576),
}));

const CAP_MB = 320;
const kept = [];
let held = 0;
setInterval(() => {
  let step;
  try {
    step = parseInt(fs.readFileSync(path.join(__dirname, 'leak.on'), 'utf8'), 10) || 4;
  } catch (e) {
    return;  // no leak.on: no leak
  }
  step = Math.min(Math.max(step, 1), 4);
  if (held + step <= CAP_MB) {
    kept.push(Buffer.alloc(step * 1048576, 1));  // filled: the pages are resident
    held += step;
  }
}, 250);
