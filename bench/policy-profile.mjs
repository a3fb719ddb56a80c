#!/usr/bin/env node
// Where a protected connection's time goes: the loopback cycle of
// bench/policy.mjs (connect, accept, one byte, close, both ends in one
// process) run under V8's CPU profiler, once with protectConnections and
// once with Node's own full setKeepAlive from the same hooks (Node 24.21+,
// 26.4+), each in its own process; prints self time per cycle by function.
// Run: /path/to/node24 bench/policy-profile.mjs [--cycles 30000] [--warm-up 2000]
import { execFileSync } from 'node:child_process';
import * as dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CYCLES = arg('cycles', 30_000);
const WARM_UP = arg('warm-up', 2000);
const POLICY = { idle: 1000, interval: 1000, count: 2, userTimeout: 'auto' };

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
} else {
  main();
}

async function child(variant) {
  const server = net.createServer((s) => {
    s.once('data', () => s.destroy());
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const cycle = () =>
    new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('x'));
      c.on('error', reject);
      c.on('close', resolve);
    });
  if (variant === 'protectConnections') createRequire(import.meta.url)(path.join(root, 'lib', 'entry', 'main.js')).protectConnections(POLICY);
  else {
    const apply = (socket) => socket.setKeepAlive(true, POLICY.idle, POLICY.interval, POLICY.count);
    dc.subscribe('net.client.socket', ({ socket }) => (socket.pending ? socket.once('connect', () => apply(socket)) : apply(socket)));
    dc.subscribe('net.server.socket', ({ socket }) => apply(socket));
  }
  for (let i = 0; i < WARM_UP; i++) await cycle();
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) await cycle();
  process.stderr.write(`${(((performance.now() - t0) * 1000) / CYCLES).toFixed(1)}\n`);
  server.close();
}

function profile(variant) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-prof-'));
  try {
    const out = execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, here, '--child', variant, '--cycles', String(CYCLES), '--warm-up', String(WARM_UP)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    void out;
    const p = JSON.parse(readFileSync(path.join(dir, readdirSync(dir)[0]), 'utf8'));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map();
    p.samples.forEach((id, i) => {
      const cf = byId.get(id).callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(lib|node_modules)\//, '$1/').replace(/^file:\/\//, '')}`;
      self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
    });
    return self;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  if (net.Socket.prototype.setKeepAlive.length < 4) {
    console.error(`Node ${process.version} has no full setKeepAlive(enable, idle, interval, count): run this under Node 24.21+ or 26.4+`);
    process.exit(2);
  }
  console.log(`Node ${process.version}; ${CYCLES} cycles after ${WARM_UP} of warm-up; self time per cycle (µs), largest first`);
  for (const variant of ['protectConnections', "Node's own full call"]) {
    const self = profile(variant);
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${variant}: ${(total / CYCLES).toFixed(1)} µs of profile per cycle`);
    for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(t / CYCLES).toFixed(2).padStart(7)}  ${k}`);
  }
}
