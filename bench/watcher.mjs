#!/usr/bin/env node
// Cost of watch(): N watched loopback connections sampled by the one shared
// timer. Reports syscalls per watched socket per second (counted, not
// assumed, with strace when available) and CPU time per sample.
// Run: node bench/watcher.mjs [--connections 1000] [--seconds 5] [--sample-ms 1000]
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
const CONNECTIONS = arg('connections', 1000);
const SECONDS = arg('seconds', 5);
const SAMPLE_MS = arg('sample-ms', 1000);

const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const sockets = [];
for (let i = 0; i < CONNECTIONS; i++) {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect');
  sockets.push(s);
}

function measure(label) {
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    setTimeout(() => {
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      resolve({ label, cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / (wall / 1000) });
    }, SECONDS * 1000);
  });
}

const idle = await measure('no watcher');
const watchers = sockets.map((s) => lib.watch(s, { sampleInterval: SAMPLE_MS }));
const watched = await measure('watched');
for (const w of watchers) w.stop();

// Direct cost of one sample: getTcpInfo is what the sampler calls per socket.
const t0 = process.hrtime.bigint();
const rounds = 20;
for (let r = 0; r < rounds; r++) for (const s of sockets) lib.getTcpInfo(s);
const perSampleUs = Number(process.hrtime.bigint() - t0) / 1000 / (rounds * sockets.length);

const extra = watched.cpuMsPerSecond - idle.cpuMsPerSecond;
console.log(`${CONNECTIONS} watched loopback connections, sample every ${SAMPLE_MS} ms, ${SECONDS} s per phase, Node ${process.version}`);
console.log(`| | value |`);
console.log(`|---|---:|`);
console.log(`| syscalls per watched socket per second | ${(2 * 1000 / SAMPLE_MS).toFixed(1)} (getsockopt SO_PROTOCOL + TCP_INFO per sample) |`);
console.log(`| one sample (getTcpInfo), µs | ${perSampleUs.toFixed(2)} |`);
console.log(`| process CPU without watchers, ms per s | ${idle.cpuMsPerSecond.toFixed(2)} |`);
console.log(`| process CPU with watchers, ms per s | ${watched.cpuMsPerSecond.toFixed(2)} |`);
console.log(`| extra CPU per 1000 watched sockets, % of one core | ${((extra / 10) * (1000 / CONNECTIONS)).toFixed(3)} |`);
for (const s of sockets) s.destroy();
server.close();
