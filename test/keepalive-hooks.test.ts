// What the library remembers about a socket's keep-alive, and the one
// wrapper it puts on the socket's own setKeepAlive: a refused call changes
// nothing; persist and the watcher share one wrapper, see each other's work,
// and leave nothing behind when they stop.
import { describe, expect, it } from 'vitest';
import type * as net from 'node:net';
import { checkKeepAlive, getKeepAlive, setKeepAlive, watch, type KeepAliveCheck } from '../src/entry/main';
import { tcpPair } from './helpers/sockets';

const SETTINGS = { idle: 9000, interval: 4000, count: 4, userTimeout: 25_000 };
const listenersOf = (s: net.Socket): number[] => ['end', 'error', 'close', 'connect'].map((e) => s.listenerCount(e));

describe.runIf(process.platform === 'linux')('a refused setKeepAlive changes nothing', () => {
  it.each([
    ['an out-of-range count', { count: 0 }],
    ["userTimeout 'auto' whose total only the kernel's idle makes too large", { interval: 32_767_000, count: 127, userTimeout: 'auto' as const }],
    ['a misspelt option', { idel: 1000 }],
  ])('%s: kernel values, remembered settings, the guard and listeners all stay', async (_name, bad) => {
    const pair = await tcpPair();
    const s = pair.client;
    setKeepAlive(s, { ...SETTINGS, persist: true });
    const before = { kernel: getKeepAlive(s), check: checkKeepAlive(s), wrapper: s.setKeepAlive, listeners: listenersOf(s) };
    expect(() => setKeepAlive(s, bad as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }));
    expect(getKeepAlive(s)).toEqual(before.kernel);
    expect(checkKeepAlive(s)).toEqual(before.check);
    expect(s.setKeepAlive).toBe(before.wrapper);
    expect(listenersOf(s)).toEqual(before.listeners);
    // The guard still works: Node's own call is repaired.
    s.setKeepAlive(true, 5000);
    expect(getKeepAlive(s)).toMatchObject({ interval: 4000, count: 4 });
    await pair.close();
  });
});

describe.runIf(process.platform === 'linux')("one wrapper of the socket's setKeepAlive", () => {
  it("watch() then setKeepAlive({ persist: true }): Node's call is repaired and no overwrite is reported", async () => {
    const pair = await tcpPair();
    const s = pair.client;
    const original = s.setKeepAlive;
    const watcher = watch(s);
    setKeepAlive(s, { ...SETTINGS, persist: true });
    const overwritten: KeepAliveCheck[] = [];
    watcher.on('keepAliveOverwritten', (c) => overwritten.push(c));
    s.setKeepAlive(true, 7000);
    expect(getKeepAlive(s)).toMatchObject({ idle: 9000, interval: 4000, count: 4 });
    expect(overwritten).toEqual([]);
    watcher.stop();
    // persist still needs the wrapper; once it is turned off nothing is left.
    expect(s.setKeepAlive).not.toBe(original);
    setKeepAlive(s, { ...SETTINGS, persist: false });
    expect(s.setKeepAlive).toBe(original);
    await pair.close();
  });

  it("the watcher's report carries the settings the library applied last, not the ones in force when it started", async () => {
    const pair = await tcpPair();
    const s = pair.client;
    const watcher = watch(s, { keepAlive: { idle: 5000, interval: 1000, count: 2 } });
    setKeepAlive(s, SETTINGS);
    const reports: unknown[] = [];
    watcher.on('dead', (r) => reports.push(r));
    s.destroy();
    await new Promise((resolve) => s.once('close', resolve));
    expect(reports).toEqual([expect.objectContaining({ keepAlive: expect.objectContaining({ idle: 9000, interval: 4000, count: 4 }) })]);
    await pair.close();
  });

  it('persist then watch() then stop(): the wrapper stays for persist, and goes with it', async () => {
    const pair = await tcpPair();
    const s = pair.client;
    const original = s.setKeepAlive;
    setKeepAlive(s, { ...SETTINGS, persist: true });
    const wrapped = s.setKeepAlive;
    const watcher = watch(s);
    expect(s.setKeepAlive).toBe(wrapped); // one wrapper, not two
    watcher.stop();
    s.setKeepAlive(true, 7000);
    expect(getKeepAlive(s)).toMatchObject({ interval: 4000, count: 4 });
    setKeepAlive(s, { idle: 9000 });
    expect(s.setKeepAlive).toBe(original);
    await pair.close();
  });

  it("an overwrite persist did not repair is still reported, once per Node call", async () => {
    const pair = await tcpPair();
    const s = pair.client;
    setKeepAlive(s, SETTINGS);
    const watcher = watch(s);
    const overwritten: KeepAliveCheck[] = [];
    watcher.on('keepAliveOverwritten', (c) => overwritten.push(c));
    s.setKeepAlive(true, 7000);
    expect(overwritten).toEqual([expect.objectContaining({ intact: false, changed: ['idle', 'interval', 'count'] })]);
    watcher.stop();
    await pair.close();
  });

  // Node 24.21+ and 26.4+ take interval and count too (positional or an
  // object); a watched socket must pass on exactly what the caller gave.
  it.each([
    ['positional', [true, 10_000, 5000, 3]],
    ['an object', [{ enable: true, initialDelay: 20_000, interval: 4000, count: 6 }]],
    ['an object that disables', [{ enable: false }]],
  ])("the wrapper passes every argument to Node's setKeepAlive (%s)", async (_name, args) => {
    const plain = await tcpPair();
    const watched = await tcpPair();
    const watcher = watch(watched.client);
    const call = (s: net.Socket) => (s.setKeepAlive as (...a: unknown[]) => net.Socket)(...(args as unknown[]));
    call(plain.client);
    call(watched.client);
    expect(getKeepAlive(watched.client)).toEqual(getKeepAlive(plain.client));
    watcher.stop();
    await plain.close();
    await watched.close();
  });
});
