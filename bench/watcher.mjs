#!/usr/bin/env node
// Cost of watch() at scale: N real loopback connections, every one watched,
// CPU of the watching processes measured by the OS (process.cpuUsage: the
// whole process, not a counter of ours), with no watcher, with this
// checkout's watcher and, side by side in the same run, another checkout's
// (--baseline DIR, built: its lib/ and build/). Phases interleave, rounds
// repeat, the same connections throughout.
//
// A process may hold 20 000 descriptors here, so the connections are spread
// over client processes of --per-process each, every one with its own
// server process (one port each: 10 000 connections fit one port's
// ephemeral range).
//
// Run: node bench/watcher.mjs [--connections 10000] [--per-process 10000]
//        [--seconds 61] [--settle 20] [--rounds 2] [--sample-ms 1000] [--paused 0]
//        [--keepalive idle,interval,count[,userTimeout]] [--unread] [--baseline DIR]
// The connections are read as applications read them ('data' listeners);
// --unread leaves them with no reader (Node still reads them, up to its
// buffer), --paused N pauses N of them before they connect.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (process.argv[2] === '--server') {
  const server = net.createServer((s) => s.resume()).listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
} else if (process.argv[2] === '--client') {
  client();
} else {
  await main();
}

/** One watching process: its share of the connections, then phases on command. */
function client() {
  const sockets = [];
  process.on('message', async (m) => {
    if (m.cmd === 'connect') {
      for (let i = 0; i < m.count; i++) {
        const s = new net.Socket();
        // Paused before connect: Node never reads it, only the sampler can see its death.
        if (i < m.paused) s.pause();
        // The others read as an application does ('data'), unless --unread.
        else if (!m.unread) s.on('data', () => {});
        s.connect(m.port, '127.0.0.1');
        await once(s, 'connect');
        sockets.push(s);
      }
      process.send({ ok: true });
    } else if (m.cmd === 'phase') {
      // What the previous phase left behind is collected now, not in this one.
      for (let i = 0; i < 3; i++) global.gc();
      const lib = m.lib === 'none' ? undefined : (await import(path.join(m.lib, 'lib', 'entry', 'main.js'))).default;
      const options = { sampleInterval: m.sampleMs };
      if (m.keepAlive) options.keepAlive = m.keepAlive;
      const watchers = lib ? sockets.map((s) => lib.watch(s, options)) : [];
      // Making 10⁴ watchers leaves garbage that V8 would collect over the
      // next 20-30 s with full GCs (~0.4 s of CPU per 9 000 watchers here, a
      // one-off cost, not the sampler's): collected now, then left to settle.
      for (let i = 0; i < 3; i++) global.gc();
      await new Promise((r) => setTimeout(r, m.settleMs));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, m.seconds * 1000));
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      for (const w of watchers) w.stop();
      process.send({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: wall });
    }
  });
  process.send({ ready: true });
}

function ask(child, message) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    if (message) child.send(message);
  });
}

async function main() {
  const N = Number(arg('connections', 10_000));
  const PER = Number(arg('per-process', 10_000));
  // A quiet socket is looked at once a minute at most: a window of a minute
  // and a second holds each one's look exactly once.
  const SECONDS = Number(arg('seconds', 61));
  const ROUNDS = Number(arg('rounds', 2));
  const SAMPLE_MS = Number(arg('sample-ms', 1000));
  const SETTLE = Number(arg('settle', 20));
  const PAUSED = Number(arg('paused', 0));
  const UNREAD = process.argv.includes('--unread');
  const ka = arg('keepalive', undefined)?.split(',').map((x) => (x === 'auto' ? x : Number(x)));
  const keepAlive = ka ? { idle: ka[0], interval: ka[1], count: ka[2], ...(ka[3] !== undefined ? { userTimeout: ka[3] } : {}) } : undefined;
  const baseline = arg('baseline', undefined);
  const libs = [['none', 'none'], ...(baseline ? [['baseline', path.resolve(baseline)]] : []), ['this checkout', root]];

  const processes = Math.ceil(N / PER);
  const children = [];
  for (let p = 0; p < processes; p++) {
    const server = fork(here, ['--server'], { stdio: 'inherit' });
    const { port } = await ask(server);
    const c = fork(here, ['--client'], { stdio: 'inherit', execArgv: ['--expose-gc'] });
    await ask(c);
    children.push({ server, client: c, port });
  }
  let left = N;
  let pausedLeft = PAUSED;
  await Promise.all(
    children.map((ch) => {
      const count = Math.min(PER, left);
      left -= count;
      const paused = Math.min(count, pausedLeft);
      pausedLeft -= paused;
      return ask(ch.client, { cmd: 'connect', port: ch.port, count, paused, unread: UNREAD });
    }),
  );

  const totals = new Map(libs.map(([label]) => [label, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotated each round, so no phase always follows the same one.
    const order = libs.map((_, i) => libs[(i + r) % libs.length]);
    for (const [label, dir] of order) {
      const results = await Promise.all(
        children.map((ch) => ask(ch.client, { cmd: 'phase', lib: dir, seconds: SECONDS, sampleMs: SAMPLE_MS, keepAlive, settleMs: SETTLE * 1000 })),
      );
      const cpuMs = results.reduce((a, x) => a + x.cpuMs, 0);
      const wallMs = Math.max(...results.map((x) => x.wallMs));
      totals.get(label).push((cpuMs / wallMs) * 100);
    }
  }
  for (const ch of children) {
    ch.client.kill();
    ch.server.kill();
  }

  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const none = median(totals.get('none'));
  console.log(
    `${N} watched loopback connections (${PAUSED} paused before connect, the others ${UNREAD ? 'with no reader' : "read with 'data'"}) in ${processes} process(es), sample ${SAMPLE_MS} ms, keep-alive ${keepAlive ? JSON.stringify(keepAlive) : 'off'}, ${ROUNDS} rounds × ${SECONDS} s after ${SETTLE} s to settle, Node ${process.version}`,
  );
  console.log('| watcher | CPU of the watching processes, % of one core (median) | above no watcher | rounds |');
  console.log('|---|---:|---:|---|');
  for (const [label] of libs) {
    const m = median(totals.get(label));
    console.log(`| ${label} | ${m.toFixed(2)} | ${label === 'none' ? '–' : (m - none).toFixed(2)} | ${totals.get(label).map((x) => x.toFixed(2)).join(', ')} |`);
  }
}
