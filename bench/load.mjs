// Sustained load: 10 000 real loopback connections, each a HeartbeatChannel
// with kernel keep-alive (+ user timeout), a heartbeat and a watcher on BOTH
// ends, 10 % of them exchanging a 100-byte message every second. Samples CPU
// and memory of the client and the server process over the run and counts
// deaths (there should be none).
//
//   node bench/load.mjs [--connections 10000] [--minutes 10] [--sample-s 30]
//
// The parent only orchestrates; client and server are separate processes
// (node --expose-gc), so each one's figures are its own.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as net from 'node:net';
import * as os from 'node:os';

const require = createRequire(import.meta.url);
const lib = require('../lib/entry/heartbeat.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONNECTIONS = arg('connections', 10_000);
const MINUTES = arg('minutes', 10);
const SAMPLE_S = arg('sample-s', 30);
const HEARTBEAT = { idle: 1000, interval: 1000, count: 3 };
const KEEPALIVE = { idle: 10_000, interval: 2000, count: 3, userTimeout: 'auto' };
const SAMPLE_MS = 1000; // watcher
const TALKERS = 0.1; // share of connections sending a message every second

/** CPU since the last call (% of one core) and memory now, after a GC. */
function meter() {
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    global.gc();
    const m = process.memoryUsage();
    return { cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers };
  };
}

function deathCounter() {
  const byReason = {};
  return {
    add(report) {
      byReason[report.reason] = (byReason[report.reason] ?? 0) + 1;
    },
    get: () => byReason,
  };
}

async function serverMain() {
  const deaths = deathCounter();
  let channels = 0;
  const server = lib.createHeartbeatServer({ heartbeat: HEARTBEAT, keepAlive: KEEPALIVE, sampleInterval: SAMPLE_MS }, (channel) => {
    channels++;
    channel.on('message', (m) => channel.send(m)); // echo
  });
  server.on('reaped', (_c, report) => deaths.add(report));
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.send({ port: server.address().port }));
  const sample = meter();
  process.on('message', (m) => {
    if (m === 'sample') process.send({ ...sample(), deaths: deaths.get(), channels });
    if (m === 'exit') process.exit(0);
  });
}

async function clientMain(port) {
  const deaths = deathCounter();
  const channels = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const channel = new lib.HeartbeatChannel(socket, { heartbeat: HEARTBEAT, keepAlive: KEEPALIVE, sampleInterval: SAMPLE_MS });
    channel.on('dead', (report) => deaths.add(report));
    channels.push(channel);
    if (i % 250 === 249) await once(socket, 'connect');
  }
  await new Promise((r) => setTimeout(r, 2000));
  let echoed = 0;
  for (const c of channels) c.on('message', () => echoed++);
  const talkers = channels.slice(0, Math.round(CONNECTIONS * TALKERS));
  const payload = Buffer.alloc(100, 0x61);
  const talk = setInterval(() => {
    for (const c of talkers) c.send(payload);
  }, 1000);
  const sample = meter();
  process.send({ ready: true });
  process.on('message', (m) => {
    if (m === 'sample') {
      const rtt = channels.map((c) => c.rtt?.smoothed).filter((x) => Number.isFinite(x));
      rtt.sort((a, b) => a - b);
      process.send({
        ...sample(),
        deaths: deaths.get(),
        open: channels.filter((c) => !c.socket.destroyed).length,
        echoed,
        rttP50: rtt[Math.floor(rtt.length / 2)],
        rttP99: rtt[Math.floor(rtt.length * 0.99)],
      });
    }
    if (m === 'exit') {
      clearInterval(talk);
      process.exit(0);
    }
  });
}

async function ask(child) {
  child.send('sample');
  const [m] = await once(child, 'message');
  return m;
}

async function main() {
  const self = fileURLToPath(import.meta.url);
  const opts = { execArgv: ['--expose-gc'] };
  const server = fork(self, ['--server', ...process.argv.slice(2)], opts);
  const [{ port }] = await once(server, 'message');
  const client = fork(self, ['--client', String(port), ...process.argv.slice(2)], opts);
  await once(client, 'message');
  await ask(server); // reset both meters: setup is not part of the run
  await ask(client);
  console.log(
    `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}); ${CONNECTIONS.toLocaleString('en')} loopback connections, ` +
      `heartbeat ${JSON.stringify(HEARTBEAT)}, keep-alive ${JSON.stringify(KEEPALIVE)}, watcher every ${SAMPLE_MS} ms, on both ends; ` +
      `${TALKERS * 100} % of connections send 100 B/s, echoed; ${MINUTES} min, a sample every ${SAMPLE_S} s\n`,
  );
  console.log('| t (min) | client CPU % | client RSS | client heap | server CPU % | server RSS | server heap | open | deaths (client / server) | RTT p50 / p99 (ms) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const mb = (x) => `${(x / 1048576).toFixed(0)} MiB`;
  const total = (d) => Object.values(d).reduce((a, b) => a + b, 0);
  const rows = [];
  const end = Date.now() + MINUTES * 60_000;
  const start = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(SAMPLE_S * 1000, end - Date.now())));
    const c = await ask(client);
    const s = await ask(server);
    rows.push({ c, s });
    console.log(
      `| ${((Date.now() - start) / 60_000).toFixed(1)} | ${c.cpuPct.toFixed(1)} | ${mb(c.rss)} | ${mb(c.heap)} | ${s.cpuPct.toFixed(1)} | ${mb(s.rss)} | ${mb(s.heap)} | ` +
        `${c.open} | ${total(c.deaths)} / ${total(s.deaths)} | ${c.rttP50?.toFixed(2)} / ${c.rttP99?.toFixed(2)} |`,
    );
  }
  const avg = (f) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const first = rows[0];
  const last = rows[rows.length - 1];
  console.log(
    `\nMean CPU: client ${avg((r) => r.c.cpuPct).toFixed(1)} %, server ${avg((r) => r.s.cpuPct).toFixed(1)} % of one core. ` +
      `Heap from the first to the last sample: client ${mb(first.c.heap)} → ${mb(last.c.heap)}, server ${mb(first.s.heap)} → ${mb(last.s.heap)}; ` +
      `RSS client ${mb(first.c.rss)} → ${mb(last.c.rss)}, server ${mb(first.s.rss)} → ${mb(last.s.rss)}.`,
  );
  console.log(`Deaths: client ${JSON.stringify(last.c.deaths)}, server ${JSON.stringify(last.s.deaths)}; messages echoed: ${last.c.echoed.toLocaleString('en')}.`);
  client.send('exit');
  server.send('exit');
  process.exit(total(last.c.deaths) + total(last.s.deaths) === 0 ? 0 : 1);
}

if (process.argv[2] === '--server') await serverMain();
else if (process.argv[2] === '--client') await clientMain(Number(process.argv[3]));
else await main();
