// Real dead peers (network namespaces): each way a peer dies, which
// mechanism notices, how fast, with which error. Keep-alive settings are
// small so the suite stays fast: idle 1 s, interval 1 s, count 2 → bound 3 s.
import { describe, expect, it } from 'vitest';
import { startClient } from '../helpers/harness';
import type { ActorEvent } from '../helpers/harness';
import type { DeathReport } from '../../src/entry/main';
import { canUseNetns } from '../helpers/netns';
import { sleep, withLab } from '../helpers/lab';

const KA = { idle: 1000, interval: 1000, count: 2 };
const BOUND = KA.idle + KA.interval * KA.count;
const report = (e: ActorEvent): DeathReport => e.report as DeathReport;
const log = (what: string): void => console.info(`[scenario] ${what}`);

// Sequential on purpose: concurrent scenarios on 2 cores delayed the
// reports by up to ~0.7 s. The other half runs in dead-peer-processes.test.ts.
describe.runIf(canUseNetns)('dead peers: path and host faults, detected by the watcher', () => {
  it('1. idle, path cut → keepalive-timeout (ETIMEDOUT) within the bound after the last ACK + 0.5 s', async () => {
    await withLab(async ({ network, actors }) => {
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      actors.push(client);
      await sleep(1500);
      network.cutPath();
      const cutAt = Date.now();
      const dead = await client.next('dead', BOUND + 3000);
      const r = report(dead);
      expect(r).toMatchObject({ reason: 'keepalive-timeout', code: 'ETIMEDOUT', detectedBy: 'kernel', keepAlive: { ...KA, enabled: true } });
      const lastAckAt = dead.lastAckAt as number;
      expect(r.at - lastAckAt).toBeLessThanOrEqual(BOUND + 500);
      log(`1: keepalive-timeout ${r.at - cutAt} ms after the cut, ${r.at - lastAckAt} ms after the last ACK (bound ${BOUND})`);
    });
  });

  it('2. busy (writing every 100 ms), path cut: keep-alive alone never fires; with userTimeout 3000 it dies in time', async () => {
    await withLab(async ({ network, actors }) => {
      const plain = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      const bounded = await startClient(network, { keepAlive: { ...KA, userTimeout: 3000 }, watchSampleInterval: 100 });
      actors.push(plain, bounded);
      for (const c of [plain, bounded]) c.send({ cmd: 'write-every', ms: 100, bytes: 100 });
      await sleep(500);
      network.cutPath();
      const cutAt = Date.now();
      const dead = await bounded.next('dead', 3000 + 2000);
      const r = report(dead);
      // ARP to the peer fails once the link is down, so the soft ICMP error
      // (EHOSTUNREACH) usually wins over ETIMEDOUT when the user timeout fires.
      expect(['retransmit-timeout', 'host-unreachable']).toContain(r.reason);
      log(`2: userTimeout 3000 → ${r.reason} (${r.code}) ${r.at - cutAt} ms after the cut, ${r.at - (dead.lastAckAt as number)} ms after the last ACK`);
      // The link is down at *our* end, so each retransmission fails locally;
      // the kernel then re-arms its timer at a fixed 500 ms resource-probe
      // interval instead of the user timeout's remaining time. Measured on
      // Linux 6.18.44: 3.1–3.3 s or 4.0–4.1 s after the cut (bimodal), so
      // the slack here is 1.5 s, not the 1 s a remote fault needs.
      expect(r.at - cutAt).toBeLessThanOrEqual(3000 + 1500);
      // The kernel sends no keep-alive probe while data is unacknowledged.
      await sleep(3 * BOUND - (Date.now() - cutAt));
      expect(plain.has('dead')).toBe(false);
      plain.send({ cmd: 'info' });
      const info = await plain.next('info', 2000);
      expect((info.info as { unackedSegments: number }).unackedSegments).toBeGreaterThan(0);
      log(`2: keep-alive alone, busy: alive ${Date.now() - cutAt} ms after the cut (3 × bound = ${3 * BOUND})`);
    });
  });

  // The neighbour (ARP) entry fails after ~3 s (3 probes, 1 s apart); the
  // user timeout must outlast that for the ICMP error to be the one reported.
  it('3. peer host vanished with data in flight → host-unreachable (EHOSTUNREACH)', async () => {
    await withLab(async ({ network, actors }) => {
      const client = await startClient(network, { keepAlive: { ...KA, userTimeout: 5000 }, watchSampleInterval: 100 });
      actors.push(client);
      client.send({ cmd: 'write-every', ms: 100, bytes: 100 });
      await sleep(300);
      network.vanishPeerHost();
      const at = Date.now();
      const r = report(await client.next('dead', 5000 + 3000));
      expect(r).toMatchObject({ reason: 'host-unreachable', code: 'EHOSTUNREACH', detectedBy: 'kernel' });
      expect(r.at - at).toBeLessThanOrEqual(5000 + 1000);
      log(`3: host-unreachable ${r.at - at} ms after the host vanished`);
    });
  });

  it('4. peer host rebooted → connection-reset (ECONNRESET) at the next probe', async () => {
    await withLab(async ({ network, actors }) => {
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      actors.push(client);
      await sleep(500);
      network.rebootPeerHost();
      const at = Date.now();
      const r = report(await client.next('dead', KA.idle + KA.interval + 3000));
      expect(r).toMatchObject({ reason: 'connection-reset', code: 'ECONNRESET', detectedBy: 'peer' });
      expect(r.at - at).toBeLessThanOrEqual(KA.idle + KA.interval + 500);
      log(`4: connection-reset ${r.at - at} ms after the reboot`);
    });
  });

});
