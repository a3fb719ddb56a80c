// A MeterProvider that throws (a broken or half-installed SDK) must not
// break what the library does: deaths are still reported, heartbeats still
// run, and the failure is said once as a process warning, never thrown.
import { once } from 'node:events';
import { metrics, type MeterProvider } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { watch } from '../src/entry/main';
import { createHeartbeat } from '../src/entry/heartbeat';
import { tcpPair } from './helpers/sockets';
import { within } from './helpers/time';

const broken = {
  getMeter() {
    throw new Error('broken SDK');
  },
} as unknown as MeterProvider;

afterAll(() => metrics.disable());

describe('a MeterProvider that throws', () => {
  it('changes nothing the library reports; it is warned about once', async () => {
    metrics.setGlobalMeterProvider(broken);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 2; i++) {
        const pair = await tcpPair();
        const watcher = watch(pair.client);
        const dead = once(watcher, 'dead');
        pair.accepted.destroy();
        const [report] = (await within(dead, 3000, 'the death')) as [{ reason: string }];
        expect(['peer-closed', 'connection-reset']).toContain(report.reason);
        await pair.close();
      }
      const hb = createHeartbeat({ sendPing: () => {}, idle: 10, interval: 10, count: 1 });
      await within(new Promise((resolve) => hb.once('dead', resolve)), 3000, 'the heartbeat death');
      await new Promise((resolve) => setImmediate(resolve));
      const ours = warnings.filter((w) => /metrics/.test(w.message));
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toMatch(/broken SDK/);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
