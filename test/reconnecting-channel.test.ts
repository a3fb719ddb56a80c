// The reconnecting channel on loopback: its backoff, its arguments, what it
// does with messages while connected, disconnected and closed. Deaths in
// namespaces are in test/timing/reconnect.test.ts.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff, GRPC_BACKOFF, HeartbeatChannel, ReconnectingChannel, createHeartbeatServer, validateBackoffOptions } from '../src/heartbeat';
import { listen } from './helpers/sockets';
import { nextEvent, sleep, within } from './helpers/time';

const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

/** A heartbeat server on loopback that records every DATA payload, as text. */
async function recordingServer(): Promise<{ port: number; received: string[]; channels: HeartbeatChannel[]; server: net.Server }> {
  const received: string[] = [];
  const channels: HeartbeatChannel[] = [];
  const server = createHeartbeatServer({}, (channel) => {
    channels.push(channel);
    channel.on('message', (m) => received.push(m.toString()));
  });
  const port = await listen(server);
  open.push({ close: () => { for (const c of channels) c.socket.destroy(); server.close(); } });
  return { port, received, channels, server };
}

function reconnecting(port: number, extra: Record<string, unknown> = {}): ReconnectingChannel {
  const channel = new ReconnectingChannel({
    connect: { host: '127.0.0.1', port },
    backoff: { initialDelay: 50, maxDelay: 200 },
    channel: { heartbeat: { idle: 200, interval: 200, count: 3 } },
    ...extra,
  });
  open.push(channel);
  return channel;
}

describe('backoff (gRPC connection backoff)', () => {
  it('defaults to 1 s, × 1.6, at most 120 s, ± 20 %', () => {
    expect(validateBackoffOptions(undefined)).toEqual(GRPC_BACKOFF);
    expect(GRPC_BACKOFF).toEqual({ initialDelay: 1000, multiplier: 1.6, maxDelay: 120_000, jitter: 0.2 });
  });

  it('grows geometrically to the cap; jitter spreads each delay by at most ± jitter', () => {
    const middle = new Backoff(GRPC_BACKOFF, () => 0.5);
    const bases = Array.from({ length: 14 }, () => middle.next());
    expect(bases.slice(0, 4)).toEqual([1000, 1600, 2560, 4096]);
    expect(bases[bases.length - 1]).toBe(120_000);
    expect(Math.max(...bases)).toBe(120_000);
    const low = new Backoff(GRPC_BACKOFF, () => 0);
    const high = new Backoff(GRPC_BACKOFF, () => 0.999999);
    for (const base of bases) {
      expect(Math.abs(low.next() / (base * 0.8) - 1)).toBeLessThan(1e-9);
      expect(Math.abs(high.next() / (base * 1.2) - 1)).toBeLessThan(1e-5);
    }
    expect(high.bound).toBe(144_000);
    middle.reset();
    expect(middle.next()).toBe(1000);
  });

  it('refuses what cannot be a backoff, naming the range', () => {
    expect(() => validateBackoffOptions({ multiplier: 0.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => validateBackoffOptions({ jitter: 2 })).toThrow(/must be >= 0 && <= 1/);
    expect(() => validateBackoffOptions({ initialDelay: 500, maxDelay: 100 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => validateBackoffOptions({ initalDelay: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('ReconnectingChannel arguments', () => {
  it('refuses missing or wrong options with Node-style errors, before any connection', () => {
    expect(() => new ReconnectingChannel(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new ReconnectingChannel({ connect: 7 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, whileDisconnected: 'drop' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, connectTimeout: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, channel: { heartbeat: false } })).toThrow(/must PING/);
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, channel: { heartbeat: { sendPings: false } } })).toThrow(/must PING/);
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, channel: { heartbeat: { idle: -1 } } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new ReconnectingChannel({ connect: { port: 1 }, reconnect: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('send refuses what is not a message', async () => {
    const { port } = await recordingServer();
    const channel = reconnecting(port);
    expect(() => channel.send(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('ReconnectingChannel messages', () => {
  it('holds what is sent before the first connection and delivers it in order, once', async () => {
    const { port, received } = await recordingServer();
    const channel = reconnecting(port);
    for (let i = 0; i < 5; i++) expect(channel.send(`m${i}`)).toBe(false);
    expect(channel.queuedMessages).toBe(5);
    await nextEvent(channel, 'connected');
    expect(channel.send('m5')).toBe(true);
    await within((async () => { while (received.length < 6) await sleep(10); })(), 3000, 'six messages');
    expect(received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it("a held message is a copy: the caller may reuse its buffer", async () => {
    const { port, received } = await recordingServer();
    const channel = reconnecting(port);
    const buffer = Buffer.from('first');
    channel.send(buffer);
    buffer.write('XXXXX');
    await nextEvent(channel, 'connected');
    await within((async () => { while (received.length < 1) await sleep(10); })(), 3000, 'the message');
    expect(received).toEqual(['first']);
  });

  it("whileDisconnected 'fail' throws instead of holding; a full queue throws instead of dropping", async () => {
    const failing = new ReconnectingChannel({ connect: { host: '127.0.0.1', port: 1 }, whileDisconnected: 'fail', backoff: { initialDelay: 1000 } });
    open.push(failing);
    expect(() => failing.send('x')).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_DISCONNECTED' }));
    const bounded = new ReconnectingChannel({ connect: { host: '127.0.0.1', port: 1 }, maxQueuedMessages: 2, maxQueuedBytes: 10, backoff: { initialDelay: 1000 } });
    open.push(bounded);
    bounded.send('a');
    bounded.send('b');
    expect(() => bounded.send('c')).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_QUEUE_FULL' }));
    expect(bounded.queuedMessages).toBe(2);
    const bytes = new ReconnectingChannel({ connect: { host: '127.0.0.1', port: 1 }, maxQueuedBytes: 10, backoff: { initialDelay: 1000 } });
    open.push(bytes);
    bytes.send('123456');
    expect(() => bytes.send('1234567')).toThrow(/at most 1000 messages and 10 bytes/);
  });

  it('a refused attempt is announced with its error and the backoff delay, then retried', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve)); // nothing listens there now
    const channel = reconnecting(port, { backoff: { initialDelay: 100, multiplier: 2, maxDelay: 1000, jitter: 0 } });
    const [first] = await nextEvent<[{ attempt: number; delay: number; error: NodeJS.ErrnoException }]>(channel, 'reconnecting');
    expect(first).toMatchObject({ attempt: 2, delay: 100 });
    expect(first.error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    const [second] = await nextEvent<[{ attempt: number; delay: number }]>(channel, 'reconnecting');
    expect(second).toMatchObject({ attempt: 3, delay: 200 });
  });

  it('close() stops everything, leaves no timer or socket of its own, and returns what was never written', async () => {
    const before = new Set(process.getActiveResourcesInfo());
    const channel = new ReconnectingChannel({ connect: { host: '127.0.0.1', port: 1 }, backoff: { initialDelay: 60_000 } });
    channel.send('kept');
    await nextEvent(channel, 'reconnecting'); // waiting 60 s for the next attempt
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeGreaterThan([...before].filter((r) => r === 'Timeout').length);
    const closing = nextEvent(channel, 'close');
    expect(channel.close().map(String)).toEqual(['kept']);
    expect(channel.close()).toEqual([]);
    await closing;
    await sleep(10);
    const count = (list: string[], kind: string) => list.filter((r) => r === kind).length;
    const after = process.getActiveResourcesInfo();
    expect(count(after, 'Timeout')).toBe(count([...before], 'Timeout'));
    expect(count(after, 'TCPWrap')).toBe(count([...before], 'TCPWrap'));
    expect(() => channel.send('late')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('a message sent while the dying connection still closes is held for the next one, not written into it', async () => {
    const received: string[][] = [];
    let connections = 0;
    const server = createHeartbeatServer({}, (c) => {
      const mine: string[] = [];
      received.push(mine);
      c.on('message', (m) => mine.push(m.toString()));
      if (connections++ === 0) setTimeout(() => c.close(), 50); // the first connection: the server ends it
    });
    const port = await listen(server);
    open.push({ close: () => server.close() });
    const channel = reconnecting(port);
    const [first] = await nextEvent<[HeartbeatChannel]>(channel, 'connected');
    // Told of the peer's FIN before the socket closes: our side is ended already.
    first.once('dead', () => expect(channel.send('late')).toBe(false));
    const [, inDoubt] = await nextEvent<[unknown, Buffer[]]>(channel, 'dead');
    expect(inDoubt.map(String)).not.toContain('late');
    await nextEvent(channel, 'connected');
    await within((async () => { while ((received[1]?.length ?? 0) < 1) await sleep(10); })(), 3000, 'the held message');
    expect(received[1]).toEqual(['late']);
    expect(received[0]).toEqual([]);
  });

  it('confirms written messages by the PONG of a PING sent after them, even while traffic flows both ways', async () => {
    const received: string[] = [];
    const server = createHeartbeatServer({}, (c) =>
      c.on('message', (m) => {
        received.push(m.toString());
        c.send('echo'); // traffic both ways: the heartbeat itself would not PING
      }),
    );
    const port = await listen(server);
    open.push(server);
    const channel = reconnecting(port, { channel: { heartbeat: { idle: 60_000, interval: 60_000, count: 3 } } });
    await nextEvent(channel, 'connected');
    // 3 s of a message every 50 ms (60 in all). Unconfirmed messages are
    // those of the last second or two (a confirmation PING a second), never
    // all of them.
    let most = 0;
    const sender = setInterval(() => {
      channel.send('tick');
      most = Math.max(most, channel.unconfirmedMessages);
    }, 50);
    await sleep(3000);
    clearInterval(sender);
    expect(received.length).toBeGreaterThan(45);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThan(45);
    await within((async () => { while (channel.unconfirmedMessages > 0) await sleep(50); })(), 2500, 'the last confirmation');
  });
});
