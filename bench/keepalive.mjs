#!/usr/bin/env node
// Benchmark of the keep-alive core, in one process with interleaved rounds
// and medians, against Node's own setKeepAlive, the npm package
// net-keepalive, and a C floor making the same syscalls (bench/floor.c).
// Run: npm run bench   (node --expose-gc bench/keepalive.mjs)
// Options: --rounds N (15), --iterations N (20000), --memory-calls N (1000000)
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = require(path.join(root, 'lib', 'entry', 'main.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 15);
const N = arg('iterations', 20000);
const MEMORY_CALLS = arg('memory-calls', 1_000_000);

if (typeof global.gc !== 'function') {
  execFileSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(0);
}

let netKeepAlive;
try {
  netKeepAlive = require('net-keepalive');
} catch {
  console.warn('net-keepalive is not installed (devDependency): its column is skipped');
}

// The floor, built twice from bench/floor.c: a small program, and a plain
// N-API module that runs the same loops inside this process.
const floorSource = path.join(root, 'bench', 'floor.c');
const floorBin = path.join(os.tmpdir(), `tcp-keepalive-floor-${process.pid}`);
const floorAddon = `${floorBin}.node`;
const nodeHeaders = [path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node')];
execFileSync('cc', ['-O2', '-o', floorBin, floorSource]);
execFileSync('cc', ['-O2', '-shared', '-fPIC', '-DFLOOR_ADDON', ...nodeHeaders.map((h) => `-I${h}`), '-o', floorAddon, floorSource]);
const inProcessFloor = require(floorAddon);

const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
await once(server, 'listening');
const port = server.address().port;
const socket = net.connect(port, '127.0.0.1');
await once(socket, 'connect');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(n, fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

const ops = {
  setKeepAlive: (i) => lib.setKeepAlive(socket, { idle: 10_000 + (i & 1) * 1000, interval: 5000, count: 3 }),
  getKeepAlive: () => lib.getKeepAlive(socket),
  getSocketError: () => lib.getSocketError(socket),
  getTcpInfo: () => lib.getTcpInfo(socket),
  // A changing delay, so Node really calls the kernel (it caches equal arguments).
  nodeSetKeepAlive: (i) => socket.setKeepAlive(true, 10_000 + (i & 1) * 1000),
  nodeSetKeepAliveUnchanged: () => socket.setKeepAlive(true, 10_000),
  ourIntervalAndCount: (i) => lib.setKeepAlive(socket, { interval: 5000 + (i & 1) * 1000, count: 3 }),
};
if (netKeepAlive) {
  ops.netKeepAliveIntervalAndCount = (i) => {
    netKeepAlive.setKeepAliveInterval(socket, 5000 + (i & 1) * 1000);
    netKeepAlive.setKeepAliveProbes(socket, 3);
  };
  ops.netKeepAliveGetInterval = () => netKeepAlive.getKeepAliveInterval(socket);
}
const iterations = (name) => (name.startsWith('netKeepAlive') ? Math.max(1000, N / 10) : N);

const samples = Object.fromEntries([...Object.keys(ops), 'floor', 'floorChild'].map((k) => [k, []]));
for (const name of Object.keys(ops)) time(2000, ops[name]); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(ops)) samples[name].push(time(iterations(name), fn));
  samples.floor.push(inProcessFloor.floor(socket._handle.fd, N));
  samples.floorChild.push(JSON.parse(execFileSync(floorBin, [String(N), String(port)], { encoding: 'utf8' })));
}

const floor = (key) => median(samples.floor.map((f) => f[key]));
const floorChild = (key) => median(samples.floorChild.map((f) => f[key]));
const ns = Object.fromEntries(Object.keys(ops).map((k) => [k, median(samples[k])]));
const us = (x) => (x / 1000).toFixed(2);
const rows = [
  ['setKeepAlive(socket, { idle, interval, count })', ns.setKeepAlive, 10, 'setKeepAlive'],
  ['getKeepAlive(socket)', ns.getKeepAlive, 6, 'getKeepAlive'],
  ['getSocketError(socket)', ns.getSocketError, 2, 'getSocketError'],
  ['getTcpInfo(socket)', ns.getTcpInfo, 2, 'getTcpInfo'],
  ["Node socket.setKeepAlive(true, ms), changing ms", ns.nodeSetKeepAlive, 4, 'nodeSetKeepAlive'],
  ["Node socket.setKeepAlive(true, ms), unchanged (cached, no syscall)", ns.nodeSetKeepAliveUnchanged, 0, undefined],
  ['setKeepAlive(socket, { interval, count })', ns.ourIntervalAndCount, 9, undefined],
];
if (netKeepAlive) {
  rows.push(['net-keepalive setKeepAliveInterval + setKeepAliveProbes', ns.netKeepAliveIntervalAndCount, 2, 'intervalAndCount']);
  rows.push(['net-keepalive getKeepAliveInterval', ns.netKeepAliveGetInterval, 1, undefined]);
}

console.log(`\n${os.cpus().length} × ${os.cpus()[0]?.model}, Linux ${os.release()}, Node ${process.version}; ${ROUNDS} interleaved rounds × ${N} calls, medians\n`);
console.log('| operation | µs per call | syscalls | C floor in this process (µs) | ratio to it | C floor, small process (µs) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, value, syscalls, key] of rows) {
  const fl = key && floor(key);
  const cells = key ? [us(fl), `${(value / fl).toFixed(2)}×`, us(floorChild(key))] : ['–', '–', '–'];
  console.log(`| ${name} | ${us(value)} | ${syscalls} | ${cells.join(' | ')} |`);
}
if (netKeepAlive) {
  console.log(`\nnet-keepalive interval+count / tcp-keepalive setKeepAlive(idle, interval, count): ${(ns.netKeepAliveIntervalAndCount / ns.setKeepAlive).toFixed(1)}× slower`);
  console.log(`net-keepalive interval+count / tcp-keepalive setKeepAlive(interval, count): ${(ns.netKeepAliveIntervalAndCount / ns.ourIntervalAndCount).toFixed(1)}× slower`);
}

// Memory: MEMORY_CALLS calls of each function; RSS and heap after a forced GC.
function settle() {
  for (let i = 0; i < 3; i++) global.gc();
  return { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
}
console.log(`\n| ${MEMORY_CALLS.toLocaleString('en')} calls of | RSS growth after GC | heap growth after GC |`);
console.log('|---|---:|---:|');
const memoryOps = { setKeepAlive: ops.setKeepAlive, getKeepAlive: ops.getKeepAlive, getSocketError: ops.getSocketError, getTcpInfo: ops.getTcpInfo };
if (netKeepAlive) memoryOps['net-keepalive setKeepAliveInterval (100k calls)'] = (i) => netKeepAlive.setKeepAliveInterval(socket, 5000 + (i & 1) * 1000);
for (const [name, fn] of Object.entries(memoryOps)) {
  const calls = name.startsWith('net-keepalive') ? MEMORY_CALLS / 10 : MEMORY_CALLS;
  time(10_000, fn);
  const before = settle();
  time(calls, fn);
  const after = settle();
  const kb = (x) => `${(x / 1024).toFixed(0)} KiB`;
  console.log(`| ${name} | ${kb(after.rss - before.rss)} | ${kb(after.heap - before.heap)} |`);
}

socket.destroy();
server.close();
execFileSync('rm', ['-f', floorBin, floorAddon]);
