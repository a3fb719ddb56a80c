#!/usr/bin/env node
// Heartbeat scheduling cost, side by side in one run:
//  - tcp-keepalive's shared sweep (one unref'd timer, flag-setting touch),
//  - one Timeout per connection, refresh()ed on activity,
//  - the ws README pattern: one setInterval over all clients (isAlive flag).
// Simulated connections (1k, 10k, 100k), 10 s heartbeat interval, each
// connection active once per second. Then real sockets: 10k loopback
// connections heartbeating at 1 s, CPU and memory of both processes.
// Each simulated case runs in a fresh process so heap figures do not mix.
// Run: node bench/heartbeat.mjs [--window 6] [--rounds 9] [--sizes 1000,10000,100000] [--sockets 10000]
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const lib = require(path.join(here, '..', 'lib', 'entry', 'heartbeat.js'));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const WINDOW_S = Number(arg('window', 6));
const SIZES = String(arg('sizes', '1000,10000,100000')).split(',').map(Number);
const SOCKETS = Number(arg('sockets', 10000));
const INTERVAL_MS = 10_000;
const ROUNDS = Number(arg('rounds', 9));

/**
 * JS heap plus ArrayBuffer memory (the sweep's typed-array columns live
 * there), once collected. V8 releases the backing stores of dead
 * ArrayBuffers after the collection that found them, on its own schedule: read
 * too early, the columns of connections dropped before are still counted
 * and cancel the new ones out (a round then showed ~77 B instead of ~190).
 */
async function settleHeap() {
  for (let i = 0; i < 4; i++) global.gc();
  await new Promise((resolve) => setTimeout(resolve, 30));
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The three strategies; each makes N connections and returns { touch(i), stop() }. */
const strategies = {
  'tcp-keepalive sweep': (n) => {
    const hbs = new Array(n);
    // One transport for all: what is measured is the engine's own state (in a
    // real channel the transport is the channel, which exists anyway). No PING
    // falls inside the window (the first is due after ~9-10 s).
    const sendPing = () => {};
    for (let i = 0; i < n; i++) hbs[i] = lib.createHeartbeat({ sendPing, idle: INTERVAL_MS, interval: INTERVAL_MS, count: 3 });
    return { touch: (i) => hbs[i].received(), stop: () => hbs.forEach((h) => h.stop()), keep: hbs };
  },
  'Timeout per connection': (n) => {
    const conns = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = { pings: 0, timer: undefined };
      const onIdle = () => {
        c.pings++; // send a PING; its PONG would refresh the timer again
        c.timer.refresh();
      };
      c.timer = setTimeout(onIdle, INTERVAL_MS * (1 - 0.1 * Math.random()));
      c.timer.unref();
      conns[i] = c;
    }
    return { touch: (i) => conns[i].timer.refresh(), stop: () => conns.forEach((c) => clearTimeout(c.timer)), keep: conns };
  },
  'ws pattern (one setInterval)': (n) => {
    const clients = new Array(n);
    for (let i = 0; i < n; i++) clients[i] = { isAlive: true, pings: 0 };
    const timer = setInterval(() => {
      for (const c of clients) {
        if (!c.isAlive) c.dead = true;
        c.isAlive = false;
        c.pings++;
      }
    }, INTERVAL_MS);
    timer.unref();
    return { touch: (i) => (clients[i].isAlive = true), stop: () => clearInterval(timer), keep: clients };
  },
  'baseline (activity driver only)': (n) => {
    const flags = new Uint8Array(n);
    return { touch: (i) => (flags[i] = 1), stop: () => {}, keep: flags };
  },
};

// V8 compiles a hot constructor once per process (bytecode, then optimised
// code, both on the heap: 200-300 KB). Each case first makes and drops this
// many connections, so that one-off cost is not divided among the
// connections measured; the sweep's table shrinks back to its small start.
const WARM_UP = 20_000;

/** In a frame of its own: nothing of the warm-up stays reachable from simulate's. */
function warmUp(name) {
  strategies[name](WARM_UP).stop();
}

async function simulate(name, n) {
  warmUp(name);
  await new Promise((r) => setImmediate(r));
  // At 1k connections a whole-heap reading moves by ±150 KB from one
  // measurement to the next (V8 finishing lazy compilation, code flushing):
  // ±150 B per connection. So the connections are made, measured and
  // dropped ROUNDS times, and the median is reported; the last round's
  // connections stay for the touch and CPU figures.
  const perRound = [];
  let s;
  for (let r = 0; r < ROUNDS; r++) {
    if (s) s.stop();
    s = undefined;
    await new Promise((done) => setImmediate(done));
    const before = await settleHeap();
    s = strategies[name](n);
    perRound.push(((await settleHeap()) - before) / n);
  }
  const heapPerConn = [...perRound].sort((a, b) => a - b)[ROUNDS >> 1];
  const heapFirstRound = perRound[0];

  // Touch cost and allocation: 10M touches, round robin, no GC in between.
  const TOUCHES = 10_000_000;
  for (let i = 0; i < 1e6; i++) s.touch(i % n);
  await settleHeap();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0, j = 0; i < TOUCHES; i++) {
    s.touch(j);
    if (++j === n) j = 0;
  }
  const touchNs = Number(process.hrtime.bigint() - t0) / TOUCHES;
  const allocatedPerTouch = (process.memoryUsage().heapUsed - heap0) / TOUCHES;

  // CPU over the window: every connection active once per second (a tenth of them every 100 ms).
  let cursor = 0;
  const driver = setInterval(() => {
    for (let k = 0; k < n / 10; k++) {
      s.touch(cursor);
      if (++cursor === n) cursor = 0;
    }
  }, 100);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  clearInterval(driver);
  s.stop();
  return { name, n, heapPerConn, heapFirstRound, touchNs, allocatedPerTouch, cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100 };
}

async function realSockets() {
  const child = fork(fileURLToPath(import.meta.url), ['--socket-server'], { execArgv: ['--expose-gc'] });
  const [{ port }] = await once(child, 'message');
  const heap0 = await settleHeap();
  const rss0 = process.memoryUsage().rss;
  const channels = [];
  for (let i = 0; i < SOCKETS; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    channels.push(new lib.HeartbeatChannel(socket, { heartbeat: { idle: 1000, interval: 1000, count: 3 } }));
    if (i % 500 === 499) await once(socket, 'connect');
  }
  await new Promise((r) => setTimeout(r, 2000));
  let deaths = 0;
  for (const c of channels) c.on('dead', () => deaths++);
  child.send('start');
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 2 * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  child.send('stop');
  const [server] = await once(child, 'message');
  const samples = channels.reduce((a, c) => a + (c.rtt?.samples ?? 0), 0);
  const client = { cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, rss: process.memoryUsage().rss - rss0, heap: (await settleHeap()) - heap0 };
  for (const c of channels) c.socket.destroy();
  child.kill();
  return { client, server: { ...server, cpuPct: (server.cpuMs / wall) * 100 }, deaths, pongs: samples, wall };
}

async function main() {
  console.log(`Node ${process.version}; simulated connections: heartbeat interval ${INTERVAL_MS / 1000} s, each connection active once per second, ${WINDOW_S} s window\n`);
  console.log('| strategy | connections | CPU (% of one core) | touch (ns) | heap allocated per touch (bytes) | heap + ArrayBuffers per connection, median of rounds (bytes) | first round (bytes) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const results = [];
  for (const n of SIZES) {
    for (const name of Object.keys(strategies)) {
      const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--simulate', name, String(n), '--window', String(WINDOW_S), '--rounds', String(ROUNDS)], { encoding: 'utf8' });
      const r = JSON.parse(out);
      results.push(r);
      console.log(`| ${name} | ${n.toLocaleString('en')} | ${r.cpuPct.toFixed(3)} | ${r.touchNs.toFixed(1)} | ${Math.max(0, r.allocatedPerTouch).toFixed(2)} | ${r.heapPerConn.toFixed(0)} | ${r.heapFirstRound.toFixed(0)} |`);
    }
  }
  console.log('\nRatios at each size (Timeout per connection ÷ sweep), driver baseline subtracted from CPU:');
  for (const n of SIZES) {
    const get = (name) => results.find((r) => r.n === n && r.name === name);
    const base = get('baseline (activity driver only)').cpuPct;
    const sweep = get('tcp-keepalive sweep');
    const timeout = get('Timeout per connection');
    const ws = get('ws pattern (one setInterval)');
    const cpuRatio = (timeout.cpuPct - base) / Math.max(1e-3, sweep.cpuPct - base);
    console.log(`- ${n.toLocaleString('en')}: CPU ${cpuRatio.toFixed(1)}× (sweep ${(sweep.cpuPct - base).toFixed(3)} %, Timeout ${(timeout.cpuPct - base).toFixed(3)} %, ws ${(ws.cpuPct - base).toFixed(3)} %), touch ${(timeout.touchNs / sweep.touchNs).toFixed(1)}×, heap per connection ${(timeout.heapPerConn / sweep.heapPerConn).toFixed(1)}×`);
  }
  console.log(`\nReal sockets: ${SOCKETS.toLocaleString('en')} loopback HeartbeatChannels, heartbeat idle 1 s / interval 1 s / count 3, server process answering (createHeartbeatServer), ${WINDOW_S * 2} s window`);
  const r = await realSockets();
  const mb = (x) => `${(x / 1024 / 1024).toFixed(1)} MiB`;
  console.log('| process | CPU (% of one core) | RSS growth | heap growth |');
  console.log('|---|---:|---:|---:|');
  console.log(`| client (${SOCKETS} channels) | ${r.client.cpuPct.toFixed(1)} | ${mb(r.client.rss)} | ${mb(r.client.heap)} |`);
  console.log(`| server | ${r.server.cpuPct.toFixed(1)} | ${mb(r.server.rss)} (total) | ${mb(r.server.heap)} (total) |`);
  console.log(`\nFalse deaths: ${r.deaths}; RTT samples over the run: ${r.pongs}`);
  process.exit(0);
}

if (process.argv[2] === '--simulate') {
  const result = await simulate(process.argv[3], Number(process.argv[4]));
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} else if (process.argv[2] === '--socket-server') {
  // Child: a heartbeat server answering PINGs (and reaping silent clients).
  const server = lib.createHeartbeatServer({ heartbeat: { idle: 1000, interval: 1000, count: 3 } }, () => {});
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'start') globalThis.cpu0 = process.cpuUsage();
    if (m === 'stop') {
      const cpu = process.cpuUsage(globalThis.cpu0);
      global.gc?.();
      process.send({ cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    }
  });
} else {
  if (typeof global.gc !== 'function') {
    execFileSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(0);
  }
  await main();
}
