// Every bad input gets a documented error with a code, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { setKeepAlive, getKeepAlive, getSocketError, getTcpInfo } from '../src/entry/main';
import { tcpPair, udpDescriptor, type Pair } from './helpers/sockets';

const linux = process.platform === 'linux';

function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

describe.runIf(linux)('bad arguments: TypeError / RangeError with Node codes, nothing applied', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 9000, interval: 4000, count: 4, userTimeout: 20_000 });
  });
  afterAll(async () => {
    await pair.close();
  });

  const before = { enabled: true, idle: 9000, interval: 4000, count: 4, userTimeout: 20_000 };

  const outOfRange: Array<[string, Record<string, unknown>, RegExp]> = [
    ['idle 0', { idle: 0 }, />= 1 && <= 32767000 \(milliseconds/],
    ['idle above 32767 s', { idle: 32_767_001 }, /<= 32767000/],
    ['idle negative', { idle: -1000 }, />= 1/],
    ['idle -0', { idle: -0 }, />= 1/],
    ['idle NaN', { idle: NaN }, /Received NaN/],
    ['idle Infinity', { idle: Infinity }, /Received Infinity/],
    ['interval 0', { interval: 0 }, />= 1 && <= 32767000/],
    ['interval huge', { interval: 1e300 }, /<= 32767000/],
    ['count 0', { count: 0 }, /an integer >= 1 && <= 127 \(probes\)/],
    ['count 128', { count: 128 }, /<= 127/],
    ['count fractional', { count: 2.5 }, /an integer/],
    ['count NaN', { count: NaN }, /an integer/],
    ['count -Infinity', { count: -Infinity }, /an integer/],
    ['userTimeout negative', { userTimeout: -1 }, />= 0 && <= 2147483647 \(milliseconds\)/],
    ['userTimeout above int32', { userTimeout: 2 ** 31 }, /<= 2147483647/],
    ['userTimeout NaN', { userTimeout: NaN }, /Received NaN/],
  ];
  it.each(outOfRange)('%s → RangeError ERR_OUT_OF_RANGE naming the range', (_name, options, message) => {
    let thrown: unknown;
    try {
      setKeepAlive(pair.client, { count: 2, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RangeError);
    expect(thrown).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect((thrown as Error).message).toMatch(message);
    expect(getKeepAlive(pair.client)).toEqual(before);
  });

  const wrongType: Array<[string, unknown]> = [
    ['options a string', 'fast'],
    ['options null', null],
    ['options an array', [1000]],
    ['options a number', 1000],
    ['idle a string', { idle: '1000' }],
    ['idle a bigint', { idle: 1000n }],
    ['interval an object', { interval: { ms: 1 } }],
    ['count a string', { count: '3' }],
    ['count a boolean', { count: true }],
    ['userTimeout a string', { userTimeout: 'never' }],
    ['enabled a number', { enabled: 1 }],
    ['enabled a string', { enabled: 'yes' }],
    ['persist a string', { persist: 'yes' }],
  ];
  it.each(wrongType)('%s → TypeError ERR_INVALID_ARG_TYPE', (_name, options) => {
    expect(() => setKeepAlive(pair.client, options as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(getKeepAlive(pair.client)).toEqual(before);
  });

  it('a misspelt option is refused, not ignored', () => {
    expect(() => setKeepAlive(pair.client, { idle: 1000, intervall: 1000 } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/intervall/) }),
    );
    expect(getKeepAlive(pair.client)).toEqual(before);
  });

  it('persist on a raw descriptor is refused', () => {
    expect(() => setKeepAlive(fdOf(pair.client), { persist: true })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  const notSockets: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', '3'],
    ['a plain object', {}],
    ['an object that looks like a socket', { _handle: { fd: 3 }, destroyed: false, pending: false }],
    ['a function', () => 3],
  ];
  it.each(notSockets)('socket %s → TypeError ERR_INVALID_ARG_TYPE from every function', (_name, socket) => {
    for (const fn of [
      () => setKeepAlive(socket as never, {}),
      () => getKeepAlive(socket as never),
      () => getSocketError(socket as never),
      () => getTcpInfo(socket as never),
    ]) {
      expect(fn).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });

  it.each([[-1], [1.5], [2 ** 31], [NaN], [Infinity]])('descriptor %s → RangeError ERR_OUT_OF_RANGE', (fd) => {
    expect(() => getKeepAlive(fd)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe.runIf(linux)('sockets and descriptors that cannot be used', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-keepalive-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const all = (target: unknown) => [
    () => setKeepAlive(target as never, { idle: 1000 }),
    () => getKeepAlive(target as never),
    () => getSocketError(target as never),
    () => getTcpInfo(target as never),
  ];

  it('a destroyed socket → ERR_SOCKET_CLOSED', async () => {
    const pair = await tcpPair();
    pair.client.destroy();
    for (const fn of all(pair.client)) expect(fn).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    await pair.close();
  });

  it('a socket not connected yet → ERR_TCP_KEEPALIVE_NOT_CONNECTED for the readers', () => {
    const socket = new net.Socket();
    for (const fn of all(socket).slice(1)) {
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_NOT_CONNECTED' }));
    }
    socket.destroy();
  });

  it('a closed descriptor → EBADF with errno and syscall', () => {
    const fd = fs.openSync(path.join(tmp, 'closed'), 'w');
    fs.closeSync(fd);
    for (const fn of all(fd)) {
      expect(fn).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'getsockopt', message: expect.stringMatching(/^getsockopt EBADF/) }));
    }
  });

  it('a regular file and a pipe → ENOTSOCK', () => {
    const file = fs.openSync(path.join(tmp, 'file'), 'w');
    try {
      for (const fn of all(file)) expect(fn).toThrow(expect.objectContaining({ code: 'ENOTSOCK', syscall: 'getsockopt' }));
    } finally {
      fs.closeSync(file);
    }
    // A named pipe opened read-write (Linux does not block on that).
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const pipe = fs.openSync(fifo, fs.constants.O_RDWR);
    try {
      for (const fn of all(pipe)) expect(fn).toThrow(expect.objectContaining({ code: 'ENOTSOCK' }));
    } finally {
      fs.closeSync(pipe);
    }
  });

  it('a UDP socket → ERR_TCP_KEEPALIVE_NOT_TCP', async () => {
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      const fd = udpDescriptor(udp.address().port)!;
      expect(fd).toBeGreaterThan(2);
      for (const fn of all(fd)) {
        expect(fn).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_NOT_TCP', message: expect.stringMatching(/UDP/) }));
      }
      // The dgram.Socket object itself is not a TCP socket type at all.
      expect(() => setKeepAlive(udp as never, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    } finally {
      udp.close();
    }
  });

  it('a UNIX-domain net.Socket → ERR_TCP_KEEPALIVE_NOT_TCP', async () => {
    const sockPath = path.join(tmp, 's.sock');
    const server = net.createServer().listen(sockPath);
    await once(server, 'listening');
    const client = net.connect(sockPath);
    await once(client, 'connect');
    try {
      for (const fn of all(client)) {
        expect(fn).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_NOT_TCP', message: expect.stringMatching(/UNIX-domain/) }));
      }
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('a listening TCP socket is TCP: readable, and keep-alive is inherited by accepted sockets', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      expect(getTcpInfo(fd).state).toBe('LISTEN');
      expect(setKeepAlive(fd, { idle: 5000 })).toMatchObject({ enabled: true, idle: 5000 });
    } finally {
      server.close();
    }
  });
});

