// Proof that does not use our own getter: the kernel's keep-alive timer as
// `ss` shows it counts down from the idle time we set.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { setKeepAlive } from '../src/entry/main';
import { tcpPair, type Pair } from './helpers/sockets';

function hasSs(): boolean {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The only check that does not use our own getter: in CI it must run.
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const canRun = process.platform === 'linux' && hasSs();
if (!canRun) {
  if (inCi) throw new Error('CI=true but the kernel proof cannot run: it needs Linux and `ss` (iproute2)');
  console.warn('[tcp-keepalive] skipping the kernel proof: it needs Linux and `ss` (iproute2)');
}

/**
 * Seconds left on the keep-alive timer of the connection from `localPort`,
 * per `ss -tno`: `timer:(keepalive,2min4sec,0)` or `(keepalive,59sec,0)`.
 * Short times are avoided: for a few seconds iproute2 6.1 prints seconds
 * with an "ms" suffix ("4.996ms" for 5 s), which cannot be read unambiguously.
 */
function keepaliveTimer(localPort: number): number | undefined {
  const out = execFileSync('ss', ['-tnoH', 'state', 'established', `( sport = :${localPort} )`], { encoding: 'utf8' });
  if (!out.includes('timer:(keepalive')) return undefined;
  const match = /timer:\(keepalive,(?:(\d+)min)?(?:(\d+)sec)?,\d+\)/.exec(out);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new Error(`keep-alive timer unreadable (under ~10 s?): ${out}`);
  }
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

describe.runIf(canRun)('the kernel holds the values (ss -tnoi)', () => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await tcpPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  it('no keep-alive timer until enabled, then one counting from idle', () => {
    const port = pair.client.localPort as number;
    expect(keepaliveTimer(port)).toBeUndefined();
    setKeepAlive(pair.client, { idle: 90_000, interval: 1000, count: 3 });
    const left = keepaliveTimer(port) as number;
    expect(left).toBeGreaterThanOrEqual(88);
    expect(left).toBeLessThanOrEqual(90);
  });

  it('a new idle re-arms the timer at once (5 min, then 2 min 5 s)', () => {
    const port = pair.client.localPort as number;
    setKeepAlive(pair.client, { idle: 300_000 });
    const first = keepaliveTimer(port) as number;
    expect(first).toBeGreaterThanOrEqual(298);
    expect(first).toBeLessThanOrEqual(300);
    setKeepAlive(pair.client, { idle: 125_000 });
    const second = keepaliveTimer(port) as number;
    expect(second).toBeGreaterThanOrEqual(123);
    expect(second).toBeLessThanOrEqual(125);
  });

  it('enabled: false removes the timer', () => {
    const port = pair.client.localPort as number;
    setKeepAlive(pair.client, { idle: 60_000 });
    expect(keepaliveTimer(port)).toBeDefined();
    setKeepAlive(pair.client, { enabled: false });
    expect(keepaliveTimer(port)).toBeUndefined();
  });
});
