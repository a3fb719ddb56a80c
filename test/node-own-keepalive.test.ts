// What Node's own socket.setKeepAlive does to the kernel, read back with
// getsockopt, on whichever Node runs this file (the matrix runs it under 20,
// 22, 24 and 26). The README's section on Node's own keep-alive states these
// results; they fail here first if a Node line changes them.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { getKeepAlive } from '../src/entry/main';
import { tcpPair, type Pair } from './helpers/sockets';

const full = (s: net.Socket, ...args: unknown[]): void => {
  (s.setKeepAlive as (...a: unknown[]) => net.Socket)(...args);
};
// The kernel's defaults (net.ipv4.tcp_keepalive_*), which Node's call falls back to.
const KERNEL_DEFAULTS = { idle: 7_200_000, interval: 75_000, count: 9 };
// Node 24.21+ / 26.4+ declare four parameters; earlier lines two.
const HAS_FULL = net.Socket.prototype.setKeepAlive.length >= 4;

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

async function client(): Promise<net.Socket> {
  pair = await tcpPair();
  return pair.client;
}

describe(`Node ${process.version}: its own setKeepAlive, read back from the kernel`, () => {
  it('setKeepAlive(true, ms) rounds ms down to seconds and forces interval 1 s, count 10; no user timeout', async () => {
    const s = await client();
    s.setKeepAlive(true, 1999);
    expect(getKeepAlive(s)).toMatchObject({ enabled: true, idle: 1000, interval: 1000, count: 10, userTimeout: 0 });
  });

  it.runIf(!HAS_FULL)('before 24.21 / 26.4: interval and count arguments are ignored without a word', async () => {
    const s = await client();
    full(s, true, 5000, 3000, 3);
    expect(getKeepAlive(s)).toMatchObject({ idle: 5000, interval: 1000, count: 10 });
  });

  describe.runIf(HAS_FULL)('24.21+ / 26.4+: setKeepAlive(enable, initialDelay, interval, count)', () => {
    it('sets all three, each rounded down to whole seconds', async () => {
      const s = await client();
      full(s, true, 5999, 2500, 3);
      expect(getKeepAlive(s)).toMatchObject({ enabled: true, idle: 5000, interval: 2000, count: 3, userTimeout: 0 });
    });

    it('the object form does the same', async () => {
      const s = await client();
      full(s, { enable: true, initialDelay: 4000, interval: 2000, count: 4 });
      expect(getKeepAlive(s)).toMatchObject({ idle: 4000, interval: 2000, count: 4 });
    });

    it.each([
      ['a sub-second interval', [true, 5000, 500, 3]],
      ['a zero interval', [true, 5000, 0, 3]],
      ['a zero count', [true, 5000, 1000, 0]],
    ])('%s leaves every value, the idle included, at the kernel defaults, and throws nothing', async (_what, args) => {
      const s = await client();
      expect(() => full(s, ...args)).not.toThrow();
      expect(getKeepAlive(s)).toMatchObject({ enabled: true, ...KERNEL_DEFAULTS });
    });

    it('a later plain setKeepAlive(true, ms), as http.Agent and drivers make, resets interval and count to 1 s / 10', async () => {
      const s = await client();
      full(s, true, 5000, 2000, 3);
      s.setKeepAlive(true, 5000);
      expect(getKeepAlive(s)).toMatchObject({ idle: 5000, interval: 1000, count: 10 });
    });
  });
});
