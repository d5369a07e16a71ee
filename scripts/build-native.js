#!/usr/bin/env node
// Builds the libvirt adapter's N-API addon (libs/adapters/libvirt/native) from the root package's `install` hook.
// Optional by design: without libvirt-dev, pkg-config or a C compiler, or if the build fails, it prints one line
// ("libvirt adapter not built: …; libvirt host URIs will be refused") and exits 0, so `npm ci` succeeds and the
// broker runs with the simulated hypervisor only. Never downloads: node-gyp gets the Node headers from
// --nodedir (Debian's nodejs installs them under /usr/include/node), never from nodejs.org.
/* global require, process, console, __dirname -- a CommonJS Node script; the lint config targets TypeScript */
/* eslint-disable @typescript-eslint/no-require-imports -- runs with plain node at install time, before any build */
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addonDir = path.join(root, 'libs/adapters/libvirt/native');
const output = path.join(addonDir, 'build/Release/reservoir_libvirt.node');

function notBuilt(reason) {
  // A stale addon from an earlier build must not outlive a failed one.
  rmSync(path.join(addonDir, 'build'), { recursive: true, force: true });
  console.log(`libvirt adapter not built: ${reason}; libvirt host URIs will be refused`);
  process.exit(0);
}

function succeeds(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

/** The node-gyp npm runs scripts with, else the one bundled with the npm next to this node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not a dependency of this project: fine
  }
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/** Node's own headers, so node-gyp never fetches them: npm's nodedir setting, then the usual prefixes. */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.find((dir) => dir && existsSync(path.join(dir, 'include/node/node_api.h')));
}

function main() {
  if (process.env.RESERVOIR_SKIP_LIBVIRT === '1') notBuilt('RESERVOIR_SKIP_LIBVIRT=1');
  if (!succeeds('pkg-config', ['--exists', 'libvirt'])) notBuilt('libvirt-dev (pkg-config libvirt) is not installed');
  const compiler = process.env.CC || 'cc';
  if (!succeeds(compiler, ['--version'])) notBuilt(`no C compiler (${compiler})`);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) notBuilt('node-gyp not found (it comes with npm)');
  const nodeDir = findNodeDir();
  if (!nodeDir) notBuilt(`the Node headers (include/node/node_api.h) are not installed for ${process.execPath}`);

  const started = process.hrtime.bigint();
  const build = spawnSync(process.execPath, [nodeGyp, `--nodedir=${nodeDir}`, 'rebuild', '-C', addonDir], {
    encoding: 'utf8',
    // Offline: no proxy can help node-gyp fetch anything; --nodedir already makes it unnecessary.
    env: { ...process.env, npm_config_nodedir: nodeDir },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (build.status !== 0 || !existsSync(output)) {
    const log = `${build.stdout ?? ''}${build.stderr ?? ''}`.split('\n').filter((line) => /error/i.test(line)).slice(-3).join(' | ');
    notBuilt(`node-gyp failed after ${seconds.toFixed(1)} s${log ? ` (${log.trim()})` : build.error ? ` (${build.error.message})` : ''}`);
  }
  console.log(`libvirt adapter built in ${seconds.toFixed(1)} s: ${path.relative(root, output)}`);
}

main();
