#!/usr/bin/env node
// What protecting every connection costs: a loopback cycle (connect, accept,
// one byte, close), client and server in this process, one cycle at a time,
// with and without protectConnections({ 1 s, 1 s, 2, userTimeout: 'auto' }),
// in interleaved rounds; under a Node with the full call (24.21+, 26.4+) also
// Node's own socket.setKeepAlive(true, 1000, 1000, 2) made from the same
// hooks (the same sockets reached, without user timeout, persist or checks).
// Reports the median over rounds of the time per cycle and of the process
// CPU per cycle, and each variant's ratio to "off".
// Run: node bench/policy.mjs [--cycles 10000] [--rounds 10]
//      (and with another Node: /path/to/node bench/policy.mjs)
import * as dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const lib = require(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'entry', 'main.js'));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CYCLES = arg('cycles', 10_000);
const ROUNDS = arg('rounds', 10);
const POLICY = { idle: 1000, interval: 1000, count: 2, userTimeout: 'auto' };
const NODE_HAS_FULL = net.Socket.prototype.setKeepAlive.length >= 4;

const server = net.createServer((s) => {
  s.once('data', () => s.destroy());
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();

function cycle() {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('x'));
    c.on('error', reject);
    c.on('close', resolve);
  });
}

/** Node's own full call from the same hooks protectConnections uses. */
function nodeOwn() {
  const apply = (socket) => socket.setKeepAlive(true, POLICY.idle, POLICY.interval, POLICY.count);
  const onClient = ({ socket }) => (socket.pending ? socket.once('connect', () => apply(socket)) : apply(socket));
  const onServer = ({ socket }) => apply(socket);
  dc.subscribe('net.client.socket', onClient);
  dc.subscribe('net.server.socket', onServer);
  return { stop: () => (dc.unsubscribe('net.client.socket', onClient), dc.unsubscribe('net.server.socket', onServer)) };
}

const variants = {
  off: () => ({ stop() {} }),
  protectConnections: () => lib.protectConnections(POLICY),
  ...(NODE_HAS_FULL ? { "Node's setKeepAlive(true, idle, interval, count)": nodeOwn } : {}),
};

// Warm-up: JIT, and the first connections' one-off costs.
for (const make of Object.values(variants)) {
  const h = make();
  for (let i = 0; i < 500; i++) await cycle();
  h.stop();
}

const per = CYCLES / ROUNDS;
const wall = new Map(Object.keys(variants).map((k) => [k, []]));
const cpu = new Map(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  const names = Object.keys(variants);
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const h = variants[name]();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; i++) await cycle();
    const t = Number(process.hrtime.bigint() - t0) / 1000 / per;
    const c = process.cpuUsage(c0);
    h.stop();
    wall.get(name).push(t);
    cpu.get(name).push((c.user + c.system) / per);
  }
}

// A check that the variants did what they say (on a connection of their own).
for (const [name, make] of Object.entries(variants)) {
  const h = make();
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  const k = lib.getKeepAlive(c);
  console.error(`${name}: ${JSON.stringify(k)}`);
  c.destroy();
  h.stop();
}
server.close();

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`Loopback connect + accept + 1 byte + close, both ends in one process, ${CYCLES} cycles per variant in ${ROUNDS} interleaved rounds, Node ${process.version}`);
console.log('| variant | time per cycle, µs (median of rounds) | × off | CPU per cycle, µs (median) | × off |');
console.log('|---|---:|---:|---:|---:|');
const w0 = median(wall.get('off'));
const c0 = median(cpu.get('off'));
for (const name of Object.keys(variants)) {
  const w = median(wall.get(name));
  const c = median(cpu.get(name));
  console.log(`| ${name} | ${w.toFixed(1)} | ${(w / w0).toFixed(3)} | ${c.toFixed(1)} | ${(c / c0).toFixed(3)} |`);
}
