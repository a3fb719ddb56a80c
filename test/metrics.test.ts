// Liveness metrics through OpenTelemetry, read with the SDK's own reader
// (and scraped through its Prometheus exporter as the README shows): real
// loopback connections, real deaths, a real repair of Node's overwrite.
import * as http from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectConnections, watch } from '../src/entry/main';
import { HeartbeatChannel, createHeartbeat, createHeartbeatServer } from '../src/entry/heartbeat';
import { INSTRUMENTS } from '../src/metrics';
import { listen, tcpPair } from './helpers/sockets';
import { sleep, within } from './helpers/time';

const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
const prometheus = new PrometheusExporter({ preventServerStart: true });
let provider: MeterProvider;

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  const found = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) found.set(m.descriptor.name, m);
  return found;
}

/** The value of a sum, or the count of a histogram, for the data point whose attributes include `where`. */
function valueOf(m: MetricData | undefined, where: Record<string, string> = {}): number {
  if (m === undefined) return 0;
  let total = 0;
  for (const p of m.dataPoints as { attributes: Record<string, unknown>; value: number | { count: number } }[]) {
    if (!Object.entries(where).every(([k, v]) => p.attributes[k] === v)) continue;
    total += typeof p.value === 'number' ? p.value : p.value.count;
  }
  return total;
}

beforeAll(async () => {
  // A watcher made before the SDK exists: the library must not keep the no-op meter.
  const pair = await tcpPair();
  watch(pair.client).on('dead', () => {});
  await pair.close();
  provider = new MeterProvider({ readers: [reader, prometheus] });
  metrics.setGlobalMeterProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  metrics.disable();
});

describe('liveness metrics (OpenTelemetry SDK, in-memory reader)', () => {
  it('counts protected connections by how they were found, and repairs of Node\'s overwrite', async () => {
    const before = await collected();
    const protection = protectConnections({ idle: 5000, interval: 1000, count: 3 });
    const pair = await tcpPair();
    try {
      pair.client.setKeepAlive(true, 2000); // what pg and ioredis do: the policy puts its values back
      const after = await collected();
      const found = (m: Map<string, MetricData>, by: string) => valueOf(m.get('tcp_keepalive.connection.protected'), { 'tcp_keepalive.found_by': by });
      expect(found(after, 'client') - found(before, 'client')).toBe(1);
      expect(found(after, 'server') - found(before, 'server')).toBe(1);
      expect(valueOf(after.get('tcp_keepalive.keepalive.repaired')) - valueOf(before.get('tcp_keepalive.keepalive.repaired'))).toBe(1);
      expect(after.get('tcp_keepalive.connection.protected')?.descriptor.unit).toBe('{connection}');
    } finally {
      protection.stop();
      await pair.close();
    }
  });

  it('reports watched sockets now, and each death once by reason and mechanism, with the time since the last byte', async () => {
    const pair = await tcpPair();
    const watcher = watch(pair.client);
    const during = await collected();
    expect(valueOf(during.get('tcp_keepalive.connection.watched'))).toBeGreaterThanOrEqual(1);
    const dead = once(watcher, 'dead');
    pair.accepted.end(); // the peer closes: 'peer-closed', found by the peer
    await within(dead, 3000, 'the death');
    const closed = once(pair.client, 'close');
    pair.client.end(); // watched until the socket closes
    await within(closed, 3000, 'the close');
    const after = await collected();
    const where = { 'tcp_keepalive.death.reason': 'peer-closed', 'tcp_keepalive.death.detected_by': 'peer' };
    expect(valueOf(after.get('tcp_keepalive.connection.deaths'), where)).toBe(1);
    expect(valueOf(after.get('tcp_keepalive.connection.watched'))).toBe(valueOf(during.get('tcp_keepalive.connection.watched')) - 1);
    await pair.close();
  });

  it('counts a heartbeat death once (not again through the channel\'s watcher), with its silence; records RTT; heartbeats running now', async () => {
    const server = createHeartbeatServer({}, () => {});
    const port = await listen(server);
    const net = await import('node:net');
    const channel = new HeartbeatChannel(net.connect(port, '127.0.0.1'), { heartbeat: { idle: 50, interval: 50, count: 2 } });
    channel.socket.on('error', () => {});
    await within((async () => { while ((channel.rtt?.samples ?? 0) < 2) await sleep(20); })(), 3000, 'two PONGs');
    const running = await collected();
    expect(valueOf(running.get('tcp_keepalive.heartbeat.active'))).toBeGreaterThanOrEqual(1);
    expect(valueOf(running.get('tcp_keepalive.heartbeat.rtt'))).toBeGreaterThanOrEqual(2);
    expect(running.get('tcp_keepalive.heartbeat.rtt')?.descriptor.unit).toBe('s');

    // A heartbeat with no answers (createHeartbeat, nothing sent anywhere): dead after 40 ms + a tick.
    const silent = createHeartbeat({ sendPing: () => {}, idle: 20, interval: 10, count: 2 });
    await within(new Promise((resolve) => silent.once('dead', resolve)), 3000, 'the silent heartbeat');
    // Nothing read from now: the heartbeat hears nothing, declares the
    // death, and the channel's watcher reports it.
    const channelDead = once(channel, 'dead');
    channel.socket.pause();
    const [report] = (await within(channelDead, 3000, "the channel's death")) as [{ reason: string }];
    expect(report.reason).toBe('heartbeat-timeout');
    const after = await collected();
    const where = { 'tcp_keepalive.death.reason': 'heartbeat-timeout', 'tcp_keepalive.death.detected_by': 'heartbeat' };
    expect(valueOf(after.get('tcp_keepalive.connection.deaths'), where)).toBe(2);
    const time = after.get('tcp_keepalive.death.detection_time');
    expect(valueOf(time, where)).toBe(2);
    const point = (time?.dataPoints as { attributes: Record<string, unknown>; value: { min?: number; sum: number } }[]).find(
      (p) => p.attributes['tcp_keepalive.death.reason'] === 'heartbeat-timeout',
    );
    expect(point?.value.min).toBeGreaterThanOrEqual(0.04); // seconds: at least the smaller bound
    server.close();
  });

  it('scrapes in Prometheus text format through the SDK exporter, as the README shows', async () => {
    const scrape = http.createServer((req, res) => prometheus.getMetricsRequestHandler(req, res));
    const port = await listen(scrape as never);
    try {
      const text = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
      expect(text).toMatch(/^tcp_keepalive_connection_deaths_total\{.*tcp_keepalive_death_reason="peer-closed"/m);
      expect(text).toMatch(/^tcp_keepalive_heartbeat_rtt_bucket\{/m);
      expect(text).toMatch(/^tcp_keepalive_connection_protected_total\{tcp_keepalive_found_by="client"/m);
    } finally {
      scrape.close();
    }
  });

  it('docs/API.md lists every instrument with its unit and kind', () => {
    const api = readFileSync(path.join(__dirname, '..', 'docs', 'API.md'), 'utf8');
    for (const [name, spec] of Object.entries(INSTRUMENTS)) {
      expect(api).toContain(`| \`${name}\` | ${spec.kind} | \`${spec.unit}\` | ${spec.attributes.map((a) => `\`${a}\``).join(', ') || '–'} |`);
    }
  });
});
