// A hung peer (SIGSTOP) in the network namespaces: its kernel keeps
// answering keep-alive probes, so only the application heartbeat notices.
import { describe, expect, it } from 'vitest';
import type { ChannelDeathReport } from '../../src/entry/heartbeat';
import { startChannelPeer, startClient } from '../helpers/harness';
import { sleep, withNetwork } from '../helpers/lab';
import { canUseNetns } from '../helpers/netns';

const KA = { idle: 1000, interval: 1000, count: 2 }; // kernel bound 3 s
const HB = { idle: 500, interval: 250, count: 2, jitter: 0 }; // heartbeat bound 1 s, tick 62.5 ms

describe.runIf(canUseNetns)('hung peer: heartbeat versus kernel keep-alive', () => {
  it('the heartbeat declares death within its bound + one tick; keep-alive still has not after 3 × its bound', () =>
    withNetwork(async ({ network, actors }) => {
      const peer = await startChannelPeer(network);
      actors.push(peer.actor);
      const heartbeat = await startClient(network, { keepAlive: KA, heartbeat: HB, watchSampleInterval: 250 });
      const kernelOnly = await startClient(network, { keepAlive: KA, watchSampleInterval: 250 });
      actors.push(heartbeat, kernelOnly);
      await sleep(1500); // both alive: PONGs and ACKs flowing
      expect(heartbeat.has('dead') || kernelOnly.has('dead')).toBe(false);

      peer.actor.signal('SIGSTOP');
      const stoppedAt = Date.now();
      const dead = await heartbeat.next('dead', 5000);
      const report = dead.report as ChannelDeathReport;
      expect(report).toMatchObject({ reason: 'heartbeat-timeout', detectedBy: 'heartbeat', code: 'ERR_HEARTBEAT_TIMEOUT' });
      const boundMs = HB.idle + HB.interval * HB.count;
      // Silence began at the last PONG, before the stop: measured from the stop it is at most the bound + a tick.
      expect(report.at - stoppedAt).toBeLessThanOrEqual(boundMs + boundMs / 16 + 150);
      console.info(`[heartbeat] hung peer declared dead ${report.at - stoppedAt} ms after SIGSTOP (bound ${boundMs} ms)`);

      await sleep(3 * (KA.idle + KA.interval * KA.count) - (Date.now() - stoppedAt));
      expect(kernelOnly.has('dead')).toBe(false);
      console.info(`[heartbeat] kernel keep-alive alone: no death ${Date.now() - stoppedAt} ms after SIGSTOP`);
      peer.actor.signal('SIGCONT');
    }));
});
