// One real dead peer: the path to it is cut while the connection is idle,
// and kernel keep-alive with our settings kills the connection in time.
import { describe, expect, it } from 'vitest';
import { startClient } from '../helpers/harness';
import { sleep, withLab } from '../helpers/lab';
import { canUseNetns } from '../helpers/netns';

describe.runIf(canUseNetns)('dead peer, idle connection (network namespaces)', () => {
  it('{ idle 1 s, interval 1 s, count 2 }: ETIMEDOUT within idle + interval × count after the last ACK + 0.5 s', () =>
    withLab(async ({ network, actors }) => {
      const client = await startClient(network, { keepAlive: { idle: 1000, interval: 1000, count: 2 } });
      actors.push(client);
      const connected = await client.next('connected', 1000);
      expect(connected.settings).toEqual({ enabled: true, idle: 1000, interval: 1000, count: 2, userTimeout: 0 });

      // Let a probe or two be answered first, so the last ACK is a probe's.
      await sleep(1500);
      network.cutPath();
      const cutAt = Date.now();
      const boundMs = 1000 + 1000 * 2;
      const error = await client.next('error', boundMs + 3000);

      expect(error.code).toBe('ETIMEDOUT');
      expect(error.syscall).toBe('read');
      const lastAckAt = error.lastAckAt as number;
      expect(lastAckAt).toBeLessThanOrEqual(cutAt);
      const sinceLastAck = error.at - lastAckAt;
      const sinceCut = error.at - cutAt;
      expect(sinceLastAck).toBeLessThanOrEqual(boundMs + 500);
      // Keep-alive counts from the last ACK: the cut can come up to `idle` later.
      expect(sinceCut).toBeGreaterThanOrEqual(boundMs - 1000 - 100);
      console.info(`[dead-peer] ETIMEDOUT ${sinceCut} ms after the cut, ${sinceLastAck} ms after the last ACK (bound ${boundMs} ms)`);
    }));
});
