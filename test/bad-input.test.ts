// Bad input to every public function beyond the four socket calls (those are
// in errors.test.ts): each case gets a Node-style error with a code, nothing
// is left attached, and the socket's settings are unchanged. Also the two
// socket states that are easy to get wrong: a descriptor number reused by
// another socket, and a socket still connecting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { FrameDecoder, FrameType, encodeFrame, encodePingPong } from '../src/entry/protocol';
import { Heartbeat } from '../src/heartbeat';
import { HeartbeatChannel, createHeartbeat, createHeartbeatServer, heartbeatHttp2, heartbeatWebSocket } from '../src/entry/heartbeat';
import { checkKeepAlive, classifyDeath, getKeepAlive, getSocketError, getTcpInfo, setKeepAlive, watch, whenKeepAliveApplied, type DeathReport } from '../src/entry/main';
import { listen, tcpPair, type Pair } from './helpers/sockets';

const linux = process.platform === 'linux';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const noop = (): void => {};
const transport = { sendPing: noop };
const handler = { data: noop, ping: noop, pong: noop };

function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

type Expected = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';
const NAME: Record<Expected, string> = {
  ERR_INVALID_ARG_TYPE: 'TypeError',
  ERR_INVALID_ARG_VALUE: 'TypeError',
  ERR_OUT_OF_RANGE: 'RangeError',
};

describe.runIf(linux)('every public function refuses bad arguments with a Node-style error', () => {
  let pair: Pair;
  const settings = { idle: 9000, interval: 4000, count: 4, userTimeout: 20_000 };
  beforeAll(async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, settings);
  });
  afterAll(() => pair.close());
  const socket = (): net.Socket => pair.client;

  // [name, call, expected code, message pattern]
  const cases: Array<[string, () => unknown, Expected, RegExp]> = [
    ['checkKeepAlive(a plain object)', () => checkKeepAlive({} as never), 'ERR_INVALID_ARG_TYPE', /net\.Socket/],
    ['checkKeepAlive(a descriptor number)', () => checkKeepAlive(3 as never), 'ERR_INVALID_ARG_TYPE', /net\.Socket/],
    ['classifyDeath(error, a number as context)', () => classifyDeath('ETIMEDOUT', 3 as never), 'ERR_INVALID_ARG_TYPE', /context/],
    ['classifyDeath(error, null context)', () => classifyDeath('ETIMEDOUT', null as never), 'ERR_INVALID_ARG_TYPE', /context/],
    ['watch(an object that looks like a socket)', () => watch({ _handle: { fd: 3 }, destroyed: false } as never), 'ERR_INVALID_ARG_TYPE', /net\.Socket/],
    ['watch(socket, a number)', () => watch(socket(), 3 as never), 'ERR_INVALID_ARG_TYPE', /options/],
    ['watch(socket, null)', () => watch(socket(), null as never), 'ERR_INVALID_ARG_TYPE', /options/],
    ['watch sampleInterval 9 (below 10)', () => watch(socket(), { sampleInterval: 9 }), 'ERR_OUT_OF_RANGE', />= 10 && <= 2147483647 \(milliseconds\)/],
    ['watch sampleInterval NaN', () => watch(socket(), { sampleInterval: NaN }), 'ERR_OUT_OF_RANGE', /NaN/],
    ['watch sampleInterval Infinity', () => watch(socket(), { sampleInterval: Infinity }), 'ERR_OUT_OF_RANGE', /Infinity/],
    ['watch sampleInterval a string', () => watch(socket(), { sampleInterval: '100' as never }), 'ERR_INVALID_ARG_TYPE', /sampleInterval/],
    ['watch destroyOnDeath a number', () => watch(socket(), { destroyOnDeath: 1 as never }), 'ERR_INVALID_ARG_TYPE', /boolean/],
    ['watch a misspelt option', () => watch(socket(), { sampleIntervalMS: 100 } as never), 'ERR_INVALID_ARG_VALUE', /not a watch option/],
    ['watch keepAlive out of range', () => watch(socket(), { keepAlive: { count: 0 } }), 'ERR_OUT_OF_RANGE', /<= 127 \(probes\)/],
    ['new Heartbeat(no transport)', () => new Heartbeat(undefined as never), 'ERR_INVALID_ARG_TYPE', /transport/],
    ['new Heartbeat(transport without sendPing)', () => new Heartbeat({} as never), 'ERR_INVALID_ARG_TYPE', /transport\.sendPing/],
    ['new Heartbeat(isDraining not a function)', () => new Heartbeat({ sendPing: noop, isDraining: true } as never), 'ERR_INVALID_ARG_TYPE', /isDraining/],
    ['heartbeat idle -0', () => new Heartbeat(transport, { idle: -0 }), 'ERR_OUT_OF_RANGE', />= 1 && <= 2147483647 \(milliseconds\)/],
    ['heartbeat idle Infinity', () => new Heartbeat(transport, { idle: Infinity }), 'ERR_OUT_OF_RANGE', /Infinity/],
    ['heartbeat interval NaN', () => new Heartbeat(transport, { interval: NaN }), 'ERR_OUT_OF_RANGE', /NaN/],
    ['heartbeat interval 2^31', () => new Heartbeat(transport, { interval: 2 ** 31 }), 'ERR_OUT_OF_RANGE', /<= 2147483647/],
    ['heartbeat count 2.5', () => new Heartbeat(transport, { count: 2.5 }), 'ERR_OUT_OF_RANGE', /an integer >= 1 && <= 1000 \(PINGs\)/],
    ['heartbeat count 0', () => new Heartbeat(transport, { count: 0 }), 'ERR_OUT_OF_RANGE', /an integer >= 1/],
    ['heartbeat count a bigint', () => new Heartbeat(transport, { count: 3n as never }), 'ERR_INVALID_ARG_TYPE', /count/],
    ['heartbeat jitter 0.6', () => new Heartbeat(transport, { jitter: 0.6 }), 'ERR_OUT_OF_RANGE', />= 0 && <= 0\.5/],
    ['heartbeat jitter NaN', () => new Heartbeat(transport, { jitter: NaN }), 'ERR_OUT_OF_RANGE', /NaN/],
    ['heartbeat sendPings a string', () => new Heartbeat(transport, { sendPings: 'no' as never }), 'ERR_INVALID_ARG_TYPE', /boolean/],
    ['heartbeat a misspelt option', () => new Heartbeat(transport, { intervall: 100 } as never), 'ERR_INVALID_ARG_VALUE', /not a heartbeat option/],
    ['heartbeat options an array', () => new Heartbeat({ sendPing: noop }, [] as never), 'ERR_INVALID_ARG_TYPE', /options/],
    ['new HeartbeatChannel(a look-alike)', () => new HeartbeatChannel({ write: noop, on: noop } as never), 'ERR_INVALID_ARG_TYPE', /net\.Socket/],
    ['new HeartbeatChannel(socket, a number)', () => new HeartbeatChannel(socket(), 3 as never), 'ERR_INVALID_ARG_TYPE', /options/],
    ['channel heartbeat a number', () => new HeartbeatChannel(socket(), { heartbeat: 3 as never }), 'ERR_INVALID_ARG_TYPE', /options\.heartbeat/],
    ['channel heartbeat.idle 0', () => new HeartbeatChannel(socket(), { heartbeat: { idle: 0 } }), 'ERR_OUT_OF_RANGE', /options\.heartbeat\.idle/],
    ['channel maxFrameBytes 0', () => new HeartbeatChannel(socket(), { maxFrameBytes: 0 }), 'ERR_OUT_OF_RANGE', /an integer >= 1 && <= 2147483647 \(bytes\)/],
    ['channel maxFrameBytes 1.5', () => new HeartbeatChannel(socket(), { maxFrameBytes: 1.5 }), 'ERR_OUT_OF_RANGE', /an integer/],
    ['channel maxFrameBytes 2^31', () => new HeartbeatChannel(socket(), { maxFrameBytes: 2 ** 31 }), 'ERR_OUT_OF_RANGE', /<= 2147483647/],
    ['channel pingRateLimit a string', () => new HeartbeatChannel(socket(), { pingRateLimit: 'low' as never }), 'ERR_INVALID_ARG_TYPE', /pingRateLimit/],
    ['channel pingRateLimit.perSecond 0', () => new HeartbeatChannel(socket(), { pingRateLimit: { perSecond: 0 } }), 'ERR_OUT_OF_RANGE', /> 0 && <= 1000000 \(PINGs per second\)/],
    ['channel pingRateLimit.perSecond Infinity', () => new HeartbeatChannel(socket(), { pingRateLimit: { perSecond: Infinity } }), 'ERR_OUT_OF_RANGE', /Infinity/],
    ['channel pingRateLimit.burst 0.5', () => new HeartbeatChannel(socket(), { pingRateLimit: { burst: 0.5 } }), 'ERR_OUT_OF_RANGE', /an integer >= 1/],
    ['channel pingRateLimit misspelt', () => new HeartbeatChannel(socket(), { pingRateLimit: { rate: 5 } as never }), 'ERR_INVALID_ARG_VALUE', /not a PING rate limit option/],
    ['channel keepAlive out of range', () => new HeartbeatChannel(socket(), { keepAlive: { idle: 0 } }), 'ERR_OUT_OF_RANGE', /idle/],
    ['channel sampleInterval -1', () => new HeartbeatChannel(socket(), { sampleInterval: -1 }), 'ERR_OUT_OF_RANGE', /sampleInterval/],
    ['channel a misspelt option', () => new HeartbeatChannel(socket(), { maxFrameSize: 10 } as never), 'ERR_INVALID_ARG_VALUE', /not a channel option/],
    ['createHeartbeatServer(a number)', () => createHeartbeatServer(3 as never, noop), 'ERR_INVALID_ARG_TYPE', /options/],
    ['createHeartbeatServer(options, no callback)', () => createHeartbeatServer({}, undefined as never), 'ERR_INVALID_ARG_TYPE', /onChannel/],
    ['createHeartbeatServer tls a string', () => createHeartbeatServer({ tls: 'yes' as never }, noop), 'ERR_INVALID_ARG_TYPE', /options\.tls/],
    ['createHeartbeatServer bad heartbeat, before any connection', () => createHeartbeatServer({ heartbeat: { count: -1 } }, noop), 'ERR_OUT_OF_RANGE', /heartbeat\.count/],
    ['createHeartbeatServer a misspelt option', () => createHeartbeatServer({ heartbeats: {} } as never, noop), 'ERR_INVALID_ARG_VALUE', /not a heartbeat server option/],
    ['new FrameDecoder(no handler)', () => new FrameDecoder(undefined as never), 'ERR_INVALID_ARG_TYPE', /handler/],
    ['new FrameDecoder(handler without pong)', () => new FrameDecoder({ data: noop, ping: noop } as never), 'ERR_INVALID_ARG_TYPE', /handler\.pong/],
    ['new FrameDecoder maxFrameBytes 0', () => new FrameDecoder(handler, 0), 'ERR_OUT_OF_RANGE', /\(bytes\)/],
    ['new FrameDecoder maxFrameBytes NaN', () => new FrameDecoder(handler, NaN), 'ERR_OUT_OF_RANGE', /NaN/],
    ['decoder.push(a string)', () => new FrameDecoder(handler).push('abc' as never), 'ERR_INVALID_ARG_TYPE', /chunk/],
    ['decoder.push(an array of bytes)', () => new FrameDecoder(handler).push([1, 2, 3] as never), 'ERR_INVALID_ARG_TYPE', /Buffer/],
    ['encodeFrame(an unknown type)', () => encodeFrame(0x42 as FrameType, Buffer.alloc(1)), 'ERR_INVALID_ARG_VALUE', /not a frame type/],
    ['encodeFrame(DATA, a string)', () => encodeFrame(FrameType.DATA, 'x' as never), 'ERR_INVALID_ARG_TYPE', /payload/],
    ['encodePingPong(DATA, ...)', () => encodePingPong(FrameType.DATA as never, 1, 1), 'ERR_INVALID_ARG_VALUE', /PING or FrameType\.PONG/],
    ['encodePingPong seq -1', () => encodePingPong(FrameType.PING, -1, 1), 'ERR_OUT_OF_RANGE', /an integer >= 0 && <= 4294967295/],
    ['encodePingPong seq 2^32', () => encodePingPong(FrameType.PING, 2 ** 32, 1), 'ERR_OUT_OF_RANGE', /<= 4294967295/],
    ['encodePingPong seq 1.5', () => encodePingPong(FrameType.PING, 1.5, 1), 'ERR_OUT_OF_RANGE', /an integer/],
    ['encodePingPong timestamp a string', () => encodePingPong(FrameType.PING, 1, '1' as never), 'ERR_INVALID_ARG_TYPE', /timestamp/],
    ['heartbeatWebSocket(undefined)', () => heartbeatWebSocket(undefined as never), 'ERR_INVALID_ARG_TYPE', /"ws"/],
    ['heartbeatWebSocket(an object without ping)', () => heartbeatWebSocket({ on: noop, terminate: noop, removeListener: noop } as never), 'ERR_INVALID_ARG_TYPE', /ws\.ping/],
    ['heartbeatWebSocket onDead not a function', () => heartbeatWebSocket({ ping: noop, on: noop, terminate: noop, removeListener: noop } as never, { onDead: 1 as never }), 'ERR_INVALID_ARG_TYPE', /onDead/],
    ['heartbeatHttp2(a net.Socket)', () => heartbeatHttp2(socket() as never), 'ERR_INVALID_ARG_TYPE', /session\.ping/],
    ['createHeartbeat(undefined)', () => createHeartbeat(undefined as never), 'ERR_INVALID_ARG_TYPE', /options/],
    ['createHeartbeat without sendPing', () => createHeartbeat({} as never), 'ERR_INVALID_ARG_TYPE', /options\.sendPing/],
    ['createHeartbeat interval -1', () => createHeartbeat({ sendPing: noop, interval: -1 }), 'ERR_OUT_OF_RANGE', /interval/],
  ];

  it.each(cases)('%s', (_name, call, code, message) => {
    const listeners = socket().listenerCount('data') + socket().listenerCount('close');
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: NAME[code], code });
    expect((thrown as Error).message).toMatch(message);
    // Nothing attached to the socket, nothing changed in the kernel.
    expect(socket().listenerCount('data') + socket().listenerCount('close')).toBe(listeners);
    expect(getKeepAlive(socket())).toEqual({ enabled: true, ...settings });
    expect(socket().destroyed).toBe(false);
  });

  it('whenKeepAliveApplied(not a socket) rejects with ERR_INVALID_ARG_TYPE (a promise API never throws)', async () => {
    await expect(whenKeepAliveApplied({} as never)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await expect(whenKeepAliveApplied(socket())).resolves.toMatchObject(settings);
  });

  it('classifyDeath accepts any thrown value: what is not an error, code or number is "unknown"', () => {
    for (const value of [undefined, null, {}, Symbol('x'), [], () => 1]) {
      expect(classifyDeath(value)).toMatchObject({ reason: 'unknown' });
    }
  });
});

describe.runIf(linux)('a descriptor number reused by another socket', () => {
  it('a destroyed socket never reaches the new socket that got its descriptor number', async () => {
    const a = await tcpPair();
    const fd = fdOf(a.client);
    setKeepAlive(a.client, { idle: 7000, persist: true });
    const watcher = watch(a.client, { sampleInterval: 10 });
    const reports: DeathReport[] = [];
    watcher.on('dead', (r) => reports.push(r));
    a.client.destroy();

    // Connect until a socket gets the same number (the kernel hands out the lowest free one).
    const server = a.server; // already listening: a new listener would take the number itself
    const port = (server.address() as net.AddressInfo).port;
    const others: net.Socket[] = [];
    server.on('connection', (s: net.Socket) => others.push(s));
    let b: net.Socket | undefined;
    for (let i = 0; i < 20 && !b; i++) {
      const c = net.connect(port, '127.0.0.1');
      others.push(c);
      await once(c, 'connect');
      if (fdOf(c) === fd) b = c;
    }
    await sleep(20);
    b ??= others.find((s) => !s.destroyed && fdOf(s) === fd);
    try {
      expect(b, `no new socket got descriptor ${fd}`).toBeDefined();
      const target = b as net.Socket;
      const bSettings = setKeepAlive(target, { idle: 11_000, interval: 3000, count: 3 });

      // Every call through the old socket is refused; none reaches descriptor `fd`.
      for (const call of [
        () => setKeepAlive(a.client, { idle: 1000 }),
        () => getKeepAlive(a.client),
        () => getSocketError(a.client),
        () => getTcpInfo(a.client),
        () => checkKeepAlive(a.client),
      ]) {
        expect(call).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
      }
      a.client.setKeepAlive(true, 1000); // Node's own call on the destroyed socket, through the persist guard
      await sleep(150); // 15 periods of the old watcher's sampler

      expect(getKeepAlive(target)).toEqual(bSettings);
      expect(target.destroyed).toBe(false);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ reason: 'local-destroy' });
      // The raw number is trusted, as documented: it now means the new socket.
      expect(getKeepAlive(fd)).toEqual(bSettings);
    } finally {
      for (const s of others) s.destroy();
      await a.close();
    }
  });
});

describe.runIf(linux)('a socket still connecting (SYN sent, not answered)', () => {
  let listener: ChildProcess;
  let port: number;
  beforeAll(async () => {
    // A listener with a full accept queue that never accepts: further SYNs are dropped, so connects stay in SYN_SENT.
    listener = spawn('python3', [
      '-c',
      "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)",
    ]);
    const [line] = (await once(listener.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    port = Number(line.toString().trim());
  });
  afterAll(() => {
    listener.kill('SIGKILL');
  });

  it('readers say not connected, settings are deferred, the raw descriptor shows SYN_SENT, closing rejects the deferred settings', async () => {
    const sockets: net.Socket[] = [];
    let pending: net.Socket | undefined;
    try {
      for (let i = 0; i < 4 && !pending; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', noop);
        sockets.push(s);
        const connected = await Promise.race([once(s, 'connect').then(() => true), sleep(300).then(() => false)]);
        if (!connected) pending = s;
      }
      expect(pending, 'every connect was accepted by the kernel').toBeDefined();
      const s = pending as net.Socket;
      expect(s.connecting).toBe(true);
      for (const call of [() => getKeepAlive(s), () => getSocketError(s), () => getTcpInfo(s)]) {
        expect(call).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_NOT_CONNECTED' }));
      }
      expect(setKeepAlive(s, { idle: 5000 })).toBeNull(); // applied at 'connect'
      expect(getTcpInfo(fdOf(s)).state).toBe('SYN_SENT');
      expect(checkKeepAlive(s)).toBeNull(); // nothing applied yet
      const outcome = whenKeepAliveApplied(s);
      s.destroy();
      await expect(outcome).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe.runIf(linux)('a listening server is not a connection', () => {
  it('watch() and HeartbeatChannel refuse a net.Server', async () => {
    const server = net.createServer();
    await listen(server);
    try {
      expect(() => watch(server as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => new HeartbeatChannel(server as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    } finally {
      server.close();
    }
  });
});
