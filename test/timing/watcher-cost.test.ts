// What the sampler looks at, seen through the watcher's public lastSample
// (a snapshot is a getsockopt; no snapshot, no syscall): its cost follows
// what needs watching. A quiet socket Node polls is looked at rarely; one
// Node does not poll, or one with data in flight, every period.
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { watch } from '../../src/entry/main';
import { tcpPair } from '../helpers/sockets';

const PERIOD = 50;
// { 10 s, 5 s, 3 }: a keep-alive timeout builds up over 15 s, so a quiet
// polled socket needs a snapshot only every 7.5 s.
const KEEPALIVE = { idle: 10_000, interval: 5_000, count: 3 };

async function snapshotsDuring(ms: number, sampleAt: () => number | undefined): Promise<number> {
  const seen = new Set<number>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const at = sampleAt();
    if (at !== undefined) seen.add(at);
    await sleep(PERIOD / 5);
  }
  return seen.size;
}

describe.runIf(process.platform === 'linux')('the sampler looks only where it must', () => {
  it('a quiet socket Node polls: one snapshot at connect, then none for the quiet period', async () => {
    const pair = await tcpPair();
    try {
      const watcher = watch(pair.client, { sampleInterval: PERIOD, keepAlive: KEEPALIVE });
      // 20 periods: the old sampler took ~20 snapshots here.
      expect(await snapshotsDuring(20 * PERIOD, () => watcher.lastSample?.at)).toBeLessThanOrEqual(2);
      watcher.stop();
    } finally {
      await pair.close();
    }
  });

  it('a socket paused before it connected (Node never polls it): a snapshot every period', async () => {
    const pair = await tcpPair({ pauseClient: true });
    try {
      const watcher = watch(pair.client, { sampleInterval: PERIOD, keepAlive: KEEPALIVE });
      expect(await snapshotsDuring(20 * PERIOD, () => watcher.lastSample?.at)).toBeGreaterThanOrEqual(10);
      watcher.stop();
    } finally {
      await pair.close();
    }
  });

  it('a polled socket that Node stops reading (paused, buffer full) is looked at every period again', async () => {
    const pair = await tcpPair();
    try {
      const watcher = watch(pair.client, { sampleInterval: PERIOD, keepAlive: KEEPALIVE });
      await sleep(3 * PERIOD);
      pair.client.pause();
      // More than Node's high-water mark, so it stops reading.
      pair.accepted.write(Buffer.alloc(4 * pair.client.readableHighWaterMark));
      await sleep(3 * PERIOD);
      expect(await snapshotsDuring(20 * PERIOD, () => watcher.lastSample?.at)).toBeGreaterThanOrEqual(10);
      watcher.stop();
    } finally {
      await pair.close();
    }
  });

  it('a flowing socket waits untouched; once the application pauses it, it is looked at every period, and a reset is found', async () => {
    const pair = await tcpPair();
    try {
      const received: Buffer[] = [];
      pair.client.on('data', (d: Buffer) => received.push(d));
      const watcher = watch(pair.client, { sampleInterval: PERIOD, keepAlive: KEEPALIVE });
      const deaths: string[] = [];
      watcher.on('dead', (r) => deaths.push(`${r.reason} via ${r.via}`));
      expect(await snapshotsDuring(10 * PERIOD, () => watcher.lastSample?.at)).toBeLessThanOrEqual(2);
      pair.client.pause();
      pair.accepted.write(Buffer.alloc(4 * pair.client.readableHighWaterMark));
      await sleep(3 * PERIOD);
      expect(await snapshotsDuring(10 * PERIOD, () => watcher.lastSample?.at)).toBeGreaterThanOrEqual(5);
      // Node no longer reads it: only the sampler can see the reset.
      pair.client.on('error', () => {});
      pair.accepted.resetAndDestroy();
      await sleep(4 * PERIOD);
      expect(deaths).toEqual(['connection-reset via sampler']);
    } finally {
      await pair.close();
    }
  });

  it('data in flight (unacknowledged): found at the next quiet look, then a snapshot every period while it lasts', async () => {
    const pair = await tcpPair();
    try {
      // { 1 s, 1 s, 2 }: a timeout builds up over 2 s, so a quiet look every second.
      const watcher = watch(pair.client, { sampleInterval: PERIOD, keepAlive: { idle: 1000, interval: 1000, count: 2 } });
      // The peer stops reading: our data stays unsent or unacknowledged in the kernel.
      pair.accepted.pause();
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < 16; i++) pair.client.write(chunk);
      await sleep(1000 + 2 * PERIOD);
      expect(await snapshotsDuring(20 * PERIOD, () => watcher.lastSample?.at)).toBeGreaterThanOrEqual(10);
      watcher.stop();
    } finally {
      pair.client.destroy();
      await pair.close();
    }
  });
});
