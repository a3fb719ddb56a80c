// `tcp-keepalive probe` against a peer in a network namespace whose path is
// cut: it shows the keep-alive probes going out, then the death and its
// reason, within the bound it printed.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, withLab } from '../helpers/lab';
import { canUseNetns } from '../helpers/netns';

const cli = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const KA = { idle: 1000, interval: 1000, count: 2 };
const BOUND = KA.idle + KA.interval * KA.count;

describe.runIf(canUseNetns)('tcp-keepalive probe against a cut peer (namespaces)', () => {
  it('prints probes out, then keepalive-timeout (ETIMEDOUT) within the bound it showed', async () => {
    await withLab(async ({ network }) => {
      const args = ['probe', `${network.peerAddress}:7000`, '--idle', String(KA.idle), '--interval', String(KA.interval), '--count', String(KA.count), '--every', '200', '--json'];
      const child = spawn('ip', network.execArgs('client', [process.execPath, cli, ...args]));
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        const deadline = Date.now() + 5000;
        while (!out.includes('"type":"sample"') && Date.now() < deadline) await sleep(50);
        await sleep(1500);
        network.cutPath();
        const cutAt = Date.now();
        const code = await Promise.race([exited, sleep(BOUND + 4000).then(() => 'timeout' as const)]);
        expect(code).toBe(0);
        const events = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        const end = events.at(-1) as { type: string; reason: string; code: string; at: string };
        expect(end).toMatchObject({ type: 'dead', reason: 'keepalive-timeout', code: 'ETIMEDOUT', detectedBy: 'kernel' });
        const samples = events.filter((e) => e.type === 'sample') as Array<{ at: string; probes: number; bound: { idleMs: number }; lastAckReceivedAgo: number }>;
        // Probes went out after the cut, and were shown.
        expect(Math.max(...samples.map((s) => s.probes))).toBeGreaterThanOrEqual(1);
        // The death came no later than the bound the last sample before the cut promised (+ one sample period and the report).
        const before = samples.filter((s) => Date.parse(s.at) <= cutAt).at(-1) as { at: string; bound: { idleMs: number } };
        const promised = Date.parse(before.at) + before.bound.idleMs;
        expect(Date.parse(end.at)).toBeLessThanOrEqual(promised + 200 + 500);
        console.info(`[probe] dead ${Date.parse(end.at) - cutAt} ms after the cut; promised by ${promised - cutAt} ms after it; ${samples.length} samples`);
      } finally {
        child.kill();
      }
    });
  });
});
