// headroom.memory pm2 test app (cluster mode): an idle worker that reports the V8 heap limit it runs with.
'use strict';
const fs = require('fs');
const path = require('path');
const v8 = require('v8');

process.title = 'hr-pm2-web';
// PM2's process title overwrites /proc/<pid>/cmdline: the live execArgv and heap ceiling come from here
fs.writeFileSync(path.join(__dirname, 'live', `${process.pid}.json`), JSON.stringify({
  app: 'hr-pm2-web',
  execArgv: process.execArgv,
  heap_limit_mb: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576),
}));

setInterval(() => {}, 1000);
