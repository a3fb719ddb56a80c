#!/usr/bin/env node
// What the OpenTelemetry metrics cost, side by side, in interleaved rounds
// of fresh processes:
//  - "no API": @opentelemetry/api cannot be found (bench/hide-otel.cjs),
//  - "API, no SDK": the API installed, no MeterProvider (the no-op),
//  - "SDK": a MeterProvider with a reader that is never collected.
// Hot paths (the library calls no metrics there): a heartbeat's received(),
// ns per call over 10M calls on 10 000 heartbeats; the watcher's sampling,
// µs of process CPU per socket sample (1 000 paused loopback sockets,
// sampled every 10 ms, 3 s). Paths that look the provider up: watch() + stop
// on a connected socket, and createHeartbeat + stop, ns per pair.
// Run: node bench/metrics.mjs [--rounds 5]
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');
const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MODES = ['no API', 'API, no SDK', 'SDK'];

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await child(process.argv[3])));
  process.exit(0);
} else {
  main();
}

async function child(mode) {
  if (mode === 'SDK') {
    const { metrics } = require('@opentelemetry/api');
    const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  }
  const main = require(path.join(root, 'lib', 'entry', 'main.js'));
  const heartbeat = require(path.join(root, 'lib', 'entry', 'heartbeat.js'));
  const out = {};

  // received(): 10M calls round robin over 10 000 heartbeats.
  const hbs = Array.from({ length: 10_000 }, () => heartbeat.createHeartbeat({ sendPing: () => {}, idle: 60_000, interval: 60_000, count: 3 }));
  for (let i = 0; i < 2e6; i++) hbs[i % 10_000].received();
  let t = process.hrtime.bigint();
  for (let i = 0, j = 0; i < 1e7; i++) {
    hbs[j].received();
    if (++j === 10_000) j = 0;
  }
  out.touchNs = Number(process.hrtime.bigint() - t) / 1e7;
  for (const h of hbs) h.stop();

  // createHeartbeat + stop.
  const make = () => heartbeat.createHeartbeat({ sendPing: () => {}, idle: 60_000, interval: 60_000, count: 3 }).stop();
  for (let i = 0; i < 20_000; i++) make();
  t = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) make();
  out.heartbeatNs = Number(process.hrtime.bigint() - t) / 100_000;

  // Real sockets: 1 000 paused pairs, watched, sampled every 10 ms.
  const server = net.createServer((s) => s.pause()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const sockets = [];
  for (let i = 0; i < 1000; i++) {
    const s = new net.Socket();
    s.pause();
    s.connect(port, '127.0.0.1');
    await once(s, 'connect');
    sockets.push(s);
  }
  // watch() + stop on one connected socket.
  const one = sockets[0];
  for (let i = 0; i < 5_000; i++) main.watch(one).stop();
  t = process.hrtime.bigint();
  for (let i = 0; i < 50_000; i++) main.watch(one).stop();
  out.watchNs = Number(process.hrtime.bigint() - t) / 50_000;

  const watchers = sockets.map((s) => main.watch(s, { sampleInterval: 10 }));
  await new Promise((r) => setTimeout(r, 500));
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  const samples = (wall / 10) * sockets.length;
  out.sampleUs = (cpu.user + cpu.system) / samples;
  for (const w of watchers) w.stop();
  for (const s of sockets) s.destroy();
  server.close();
  return out;
}

function main() {
  const rounds = arg('rounds', 5);
  const results = new Map(MODES.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      const pre = mode === 'no API' ? ['--require', path.join(root, 'bench', 'hide-otel.cjs')] : [];
      const out = execFileSync(process.execPath, [...pre, here, '--child', mode], { encoding: 'utf8', cwd: root });
      results.get(mode).push(JSON.parse(out));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const m = (mode, key) => median(results.get(mode).map((o) => o[key]));
  console.log(`Node ${process.version}, ${rounds} interleaved rounds, medians\n`);
  console.log('| path | no API | API, no SDK | ratio | SDK installed | ratio | spread of "no API" over rounds (min–max ÷ median) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [key, label, unit] of [
    ['touchNs', "heartbeat received() (hot)", 'ns'],
    ['sampleUs', 'watcher sample, CPU per socket sample (hot)', 'µs'],
    ['watchNs', 'watch() + stop()', 'ns'],
    ['heartbeatNs', 'createHeartbeat() + stop()', 'ns'],
  ]) {
    const base = m('no API', key);
    const fmt = (x) => `${x.toFixed(unit === 'ns' ? 1 : 3)} ${unit}`;
    const own = results.get('no API').map((o) => o[key]);
    const spread = `${(Math.min(...own) / base).toFixed(3)}–${(Math.max(...own) / base).toFixed(3)}`;
    console.log(`| ${label} | ${fmt(base)} | ${fmt(m('API, no SDK', key))} | ${(m('API, no SDK', key) / base).toFixed(3)} | ${fmt(m('SDK', key))} | ${(m('SDK', key) / base).toFixed(3)} | ${spread} |`);
  }
}
