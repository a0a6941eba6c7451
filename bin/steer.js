#!/usr/bin/env node
// The one steer binary: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via prepare).
'use strict';
const path = require('path');
const fs = require('fs');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('steer: dist/ is missing; run `npm run build` (npm ci does it) first\n');
  process.exit(1);
}
require(main).main(process.argv).catch((err) => {
  process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
