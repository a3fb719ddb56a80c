// Real dead peers (network namespaces), part 2: the peer process dies or
// hangs, the client is paused, the path comes back. Keep-alive settings are
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

describe.runIf(canUseNetns)('dead peers: process faults, paused sockets, transient cuts', () => {
  it('5. peer process killed → peer-closed, detected by the peer, at once', async () => {
    await withLab(async ({ network, peer, actors }) => {
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      actors.push(client);
      await peer.next('connection', 2000);
      peer.signal('SIGKILL');
      const at = Date.now();
      const r = report(await client.next('dead', 2000));
      expect(r).toMatchObject({ reason: 'peer-closed', detectedBy: 'peer', via: 'event' });
      expect(r.at - at).toBeLessThan(500);
      log(`5: peer-closed ${r.at - at} ms after SIGKILL`);
    });
  });

  it("6. peer process stopped (SIGSTOP) → kernel keep-alive does not notice within 3 × its bound", async () => {
    await withLab(async ({ network, peer, actors }) => {
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      actors.push(client);
      await peer.next('connection', 2000);
      peer.signal('SIGSTOP');
      const at = Date.now();
      try {
        await sleep(3 * BOUND);
        expect(client.has('dead')).toBe(false);
        // The hung peer's kernel answered the probes.
        client.send({ cmd: 'info' });
        const info = await client.next('info', 2000);
        expect((info.info as { lastAckReceivedAgo: number }).lastAckReceivedAgo).toBeLessThanOrEqual(KA.idle + KA.interval + 500);
        log(`6: hung peer, still alive ${Date.now() - at} ms after SIGSTOP (probes answered by its kernel)`);
      } finally {
        peer.signal('SIGCONT');
      }
    });
  });

  it('7. paused client socket, path cut → the watcher reports keepalive-timeout although the socket emitted nothing', async () => {
    await withLab(async ({ network, actors }) => {
      const SAMPLE = 250;
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: SAMPLE, pause: true });
      actors.push(client);
      await sleep(1500);
      network.cutPath();
      const dead = await client.next('dead', BOUND + SAMPLE + 3000);
      const r = report(dead);
      expect(r).toMatchObject({ reason: 'keepalive-timeout', code: 'ETIMEDOUT', via: 'sampler', detectedBy: 'kernel' });
      const sinceAck = r.at - (dead.lastAckAt as number);
      expect(sinceAck).toBeLessThanOrEqual(BOUND + SAMPLE + 500);
      // Node itself had reported nothing before the watcher did.
      const nodeError = client.events.find((e) => e.type === 'error');
      expect(nodeError === undefined || nodeError.at >= r.at).toBe(true);
      log(`7: paused socket, keepalive-timeout via the sampler ${sinceAck} ms after the last ACK (bound ${BOUND} + ${SAMPLE})`);
    });
  });

  it('8. path cut for half the bound, then restored → no death; bytes written during the cut arrive intact', async () => {
    await withLab(async ({ network, peer, actors }) => {
      const client = await startClient(network, { keepAlive: KA, watchSampleInterval: 100 });
      actors.push(client);
      await peer.next('connection', 2000);
      client.send({ cmd: 'write-every', ms: 50, bytes: 1000 });
      await network.cutPathFor(BOUND / 2);
      client.send({ cmd: 'stop-writing' });
      const written = await client.next('written', 2000);
      const deadline = Date.now() + 10_000;
      let received: ActorEvent | undefined;
      while (Date.now() < deadline) {
        received = await peer.ask('received', {}, 2000);
        if (received.bytes === written.bytes) break;
        await sleep(250);
      }
      expect(received).toMatchObject({ bytes: written.bytes, sha256: written.sha256 });
      await sleep(BOUND);
      expect(client.has('dead')).toBe(false);
      log(`8: ${String(written.bytes)} bytes written across a ${BOUND / 2} ms cut arrived intact, no death`);
    });
  });
});
