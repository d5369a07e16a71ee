#!/usr/bin/env node
// The `reservoir` command: runs the compiled CLI (npm run build produces dist/).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const main = join(__dirname, '..', 'dist', 'apps', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('reservoir: not built yet; run `npm run build` in ' + join(__dirname, '..') + '\n');
  process.exit(2);
}
require(main).runCli(process.argv.slice(2)).then((code) => process.exit(code));
