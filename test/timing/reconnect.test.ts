// The reconnecting channel against a server whose host loses power and
// comes back (network namespaces): it is connected again within the
// backoff's bound once the host is back, no message arrives twice, and
// every message that did not arrive was handed back to the application.
import { describe, expect, it } from 'vitest';
import { startChannelPeer, startReconnectingClient, type ActorEvent } from '../helpers/harness';
import { sleep, withNetwork } from '../helpers/lab';
import { canUseNetns } from '../helpers/netns';

const HEARTBEAT = { idle: 500, interval: 500, count: 2 }; // dead within 1.5 s of silence
const BACKOFF = { initialDelay: 200, multiplier: 1.6, maxDelay: 1500, jitter: 0.2 };
const CONNECT_TIMEOUT = 1000;
const log = (what: string): void => console.info(`[reconnect] ${what}`);

describe.runIf(canUseNetns)('reconnecting channel: the server host vanishes and comes back', () => {
  it('is connected again within connectTimeout + the longest backoff delay after the host returns; no message twice, none silently lost', async () => {
    await withNetwork(async ({ network, actors }) => {
      const first = await startChannelPeer(network, { reportData: true });
      actors.push(first.actor);
      const client = startReconnectingClient(network, { heartbeat: HEARTBEAT, backoff: BACKOFF, connectTimeout: CONNECT_TIMEOUT });
      actors.push(client);
      await client.next('connected', 5000);
      client.send({ cmd: 'send-every', ms: 50 });
      await sleep(1000);

      // Power cut: the link goes down and the server process with it.
      network.cutPath();
      await first.actor.stop();
      const goneAt = Date.now();
      const dead = await client.next('dead', HEARTBEAT.idle + HEARTBEAT.interval * HEARTBEAT.count + 3000);
      log(`death noticed ${dead.at - goneAt} ms after the power cut: ${String(dead.reason)}, ${(dead.inDoubt as string[]).length} messages in doubt`);
      await client.next('reconnecting', 2000, (e) => e.at >= dead.at);
      await sleep(3000); // attempts fail meanwhile; messages are held
      const failed = client.events.filter((e) => e.type === 'reconnecting' && e.at > dead.at);
      expect(failed.length).toBeGreaterThanOrEqual(2);
      log(`while away: ${failed.length} attempts, delays ${failed.map((e) => Math.round(e.delay as number)).join(', ')} ms, errors ${[...new Set(failed.map((e) => e.code))].join(', ')}`);
      for (const e of failed) expect(e.delay as number).toBeLessThanOrEqual(BACKOFF.maxDelay * (1 + BACKOFF.jitter));

      // The host is back with a new server process on the same address.
      network.restorePath();
      const second = await startChannelPeer(network, { reportData: true });
      actors.push(second.actor);
      const backAt = Date.now();
      const bound = CONNECT_TIMEOUT + BACKOFF.maxDelay * (1 + BACKOFF.jitter);
      const again = await client.next('connected', bound + 2000, (e) => e.at > goneAt);
      log(`connected again ${again.at - backAt} ms after the server was back (bound ${bound} ms)`);
      expect(again.at - backAt).toBeLessThanOrEqual(bound + 200);

      await sleep(1000);
      client.send({ cmd: 'stop-sending' });
      // Everything written is confirmed within a confirmation PING or two.
      let totals: ActorEvent;
      const until = Date.now() + 5000;
      do {
        await sleep(200);
        totals = await client.ask('totals');
      } while ((totals.unconfirmed as number) + (totals.queued as number) > 0 && Date.now() < until);
      expect(totals.queued).toBe(0);
      expect(totals.unconfirmed).toBe(0);

      const arrived = (actor: typeof first.actor): string[] => actor.events.filter((e) => e.type === 'data').map((e) => e.payload as string);
      const atFirst = arrived(first.actor);
      const atSecond = arrived(second.actor);
      const all = [...atFirst, ...atSecond];
      const sent = totals.sent as number;
      const inDoubt = new Set(totals.inDoubt as string[]);
      // No message twice.
      expect(new Set(all).size).toBe(all.length);
      // A message in doubt is never sent again by the library.
      for (const m of atSecond) expect(inDoubt.has(m)).toBe(false);
      // Every message sent arrived, or was handed back as in doubt.
      const missing = Array.from({ length: sent }, (_, i) => `m${i + 1}`).filter((m) => !all.includes(m) && !inDoubt.has(m));
      expect(missing).toEqual([]);
      // The messages sent while the host was away went to the new server.
      expect(atSecond.length).toBeGreaterThan((3000 + HEARTBEAT.idle) / 50);
      log(`${sent} sent: ${atFirst.length} to the first server, ${atSecond.length} to the second, ${inDoubt.size} in doubt (of which ${[...inDoubt].filter((m) => atFirst.includes(m)).length} had arrived)`);
    });
  });
});
