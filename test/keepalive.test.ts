// setKeepAlive / getKeepAlive round trips on real loopback sockets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as http from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setKeepAlive, getKeepAlive, whenKeepAliveApplied } from '../src/entry/main';
import { listen, tcpPair, type Pair } from './helpers/sockets';

const linux = process.platform === 'linux';

/** The kernel's defaults, from the sysctls (7200 s / 75 s / 9 unless tuned). */
function systemDefaults(): { idle: number; interval: number; count: number } {
  const read = (name: string): number => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8'));
  return {
    idle: read('tcp_keepalive_time') * 1000,
    interval: read('tcp_keepalive_intvl') * 1000,
    count: read('tcp_keepalive_probes'),
  };
}

describe.runIf(linux)('setKeepAlive on Linux: round trips', () => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await tcpPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  it('applies each field alone and leaves the others as the kernel has them', () => {
    const before = getKeepAlive(pair.client);
    expect(before).toEqual({ enabled: false, ...systemDefaults(), userTimeout: 0 });

    expect(setKeepAlive(pair.client, { idle: 10_000 })).toEqual({ ...before, enabled: true, idle: 10_000 });
    expect(setKeepAlive(pair.client, { interval: 3000 })).toMatchObject({ idle: 10_000, interval: 3000, count: 9 });
    expect(setKeepAlive(pair.client, { count: 4 })).toMatchObject({ idle: 10_000, interval: 3000, count: 4 });
    expect(setKeepAlive(pair.client, { userTimeout: 12_345 })).toEqual({
      enabled: true, idle: 10_000, interval: 3000, count: 4, userTimeout: 12_345,
    });
    expect(getKeepAlive(pair.client)).toEqual({ enabled: true, idle: 10_000, interval: 3000, count: 4, userTimeout: 12_345 });
  });

  it('applies all fields together and returns what the kernel holds', () => {
    const got = setKeepAlive(pair.client, { idle: 5000, interval: 2000, count: 3, userTimeout: 11_000 });
    expect(got).toEqual({ enabled: true, idle: 5000, interval: 2000, count: 3, userTimeout: 11_000 });
    expect(getKeepAlive(pair.client)).toEqual(got);
  });

  it('rounds times up to whole seconds, never down to 0', () => {
    expect(setKeepAlive(pair.client, { idle: 1500, interval: 1 })).toMatchObject({ idle: 2000, interval: 1000 });
    expect(setKeepAlive(pair.client, { idle: 1, interval: 999.5 })).toMatchObject({ idle: 1000, interval: 1000 });
    expect(setKeepAlive(pair.client, { idle: 2000.001 })).toMatchObject({ idle: 3000 });
    // The user timeout is milliseconds on Linux: no rounding beyond fractions.
    expect(setKeepAlive(pair.client, { userTimeout: 1500.2 })).toMatchObject({ userTimeout: 1501 });
  });

  it('covers the whole Linux range at both ends', () => {
    expect(setKeepAlive(pair.client, { idle: 32_767_000, interval: 32_767_000, count: 127, userTimeout: 2 ** 31 - 1 }))
      .toEqual({ enabled: true, idle: 32_767_000, interval: 32_767_000, count: 127, userTimeout: 2 ** 31 - 1 });
    expect(setKeepAlive(pair.client, { idle: 1000, interval: 1000, count: 1, userTimeout: 0 }))
      .toEqual({ enabled: true, idle: 1000, interval: 1000, count: 1, userTimeout: 0 });
    for (const count of [2, 9, 10, 64, 126]) {
      expect(setKeepAlive(pair.client, { count })?.count).toBe(count);
    }
    for (const seconds of [2, 59, 75, 7200, 32_766]) {
      expect(setKeepAlive(pair.client, { idle: seconds * 1000, interval: seconds * 1000 })).toMatchObject({
        idle: seconds * 1000,
        interval: seconds * 1000,
      });
    }
  });

  it("turns keep-alive off with enabled: false and still stores the other fields", () => {
    setKeepAlive(pair.client, { idle: 4000 });
    expect(setKeepAlive(pair.client, { enabled: false, interval: 6000 })).toMatchObject({
      enabled: false,
      idle: 4000,
      interval: 6000,
    });
    expect(getKeepAlive(pair.client).enabled).toBe(false);
    expect(setKeepAlive(pair.client, {})?.enabled).toBe(true);
    expect(setKeepAlive(pair.client)?.enabled).toBe(true);
  });

  it("userTimeout 'auto' is idle + interval × count of the effective settings", () => {
    expect(setKeepAlive(pair.client, { idle: 1500, interval: 1000, count: 3, userTimeout: 'auto' })).toEqual({
      enabled: true, idle: 2000, interval: 1000, count: 3, userTimeout: 5000,
    });
    // With fields left as the kernel has them, the kernel's values decide.
    expect(setKeepAlive(pair.client, { interval: 4000, userTimeout: 'auto' })).toEqual({
      enabled: true, idle: 2000, interval: 4000, count: 3, userTimeout: 14_000,
    });
    // Found by the property test: a total past TCP_USER_TIMEOUT's range is
    // refused before anything is applied (it once left interval changed).
    setKeepAlive(pair.client, { count: 100 });
    const before = getKeepAlive(pair.client);
    expect(() => setKeepAlive(pair.client, { interval: 30_000_000, userTimeout: 'auto' })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/idle \+ interval × count/) }),
    );
    expect(getKeepAlive(pair.client)).toEqual(before);
  });

  it('works on the accepted (server) side too', () => {
    expect(setKeepAlive(pair.accepted, { idle: 3000, interval: 1000, count: 5 })).toMatchObject({ idle: 3000, count: 5 });
    expect(getKeepAlive(pair.client).enabled).toBe(false);
  });

  it('accepts a raw file descriptor', () => {
    const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
    expect(setKeepAlive(fd, { idle: 9000, count: 2 })).toMatchObject({ enabled: true, idle: 9000, count: 2 });
    expect(getKeepAlive(pair.client)).toMatchObject({ idle: 9000, count: 2 });
  });

  it('does the same over IPv6 loopback', async () => {
    const server = net.createServer();
    server.listen(0, '::1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '::1');
    await once(client, 'connect');
    try {
      expect(setKeepAlive(client, { idle: 2000, interval: 1000, count: 2 })).toMatchObject({ idle: 2000, count: 2 });
    } finally {
      client.destroy();
      server.close();
    }
  });
});

describe.runIf(linux)('setKeepAlive on TLS and HTTP sockets', () => {
  const key = readFileSync(join(__dirname, 'fixtures', 'localhost-key.pem'));
  const cert = readFileSync(join(__dirname, 'fixtures', 'localhost-cert.pem'));

  it('configures both ends of a TLS connection', async () => {
    const server = tls.createServer({ key, cert });
    const port = await listen(server as unknown as net.Server);
    const acceptedP = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
    const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    await once(client, 'secureConnect');
    const [accepted] = await acceptedP;
    try {
      expect(setKeepAlive(client, { idle: 7000, interval: 2000, count: 4 })).toMatchObject({ idle: 7000, count: 4 });
      expect(setKeepAlive(accepted, { idle: 8000, interval: 3000, count: 5 })).toMatchObject({ idle: 8000, count: 5 });
      expect(getKeepAlive(client)).toMatchObject({ idle: 7000, interval: 2000 });
      expect(getKeepAlive(accepted)).toMatchObject({ idle: 8000, interval: 3000 });
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
    }
  });

  it('applies settings given to a TLS socket before it connected', async () => {
    const server = tls.createServer({ key, cert });
    const port = await listen(server as unknown as net.Server);
    const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    try {
      expect(setKeepAlive(client, { idle: 6000, count: 6 })).toBeNull();
      const settings = await whenKeepAliveApplied(client);
      expect(settings).toMatchObject({ enabled: true, idle: 6000, count: 6 });
      await once(client, 'secureConnect');
      expect(getKeepAlive(client)).toEqual(settings);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('configures the socket of an http server request', async () => {
    let seen: unknown;
    const server = http.createServer((req, res) => {
      seen = setKeepAlive(req.socket, { idle: 4000, interval: 1000, count: 3 });
      res.end('ok');
    });
    const port = await listen(server as unknown as net.Server);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ port, host: '127.0.0.1', agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe('ok');
      expect(seen).toMatchObject({ enabled: true, idle: 4000, interval: 1000, count: 3 });
    } finally {
      server.close();
    }
  });
});

describe.runIf(linux)('settings given before connect', () => {
  it('are applied on connect; whenKeepAliveApplied says with what, and nothing is emitted on the socket', async () => {
    const server = net.createServer();
    const port = await listen(server);
    const socket = new net.Socket();
    const emitted: Array<string | symbol> = [];
    const emit = socket.emit.bind(socket);
    socket.emit = (event: string | symbol, ...args: unknown[]) => (emitted.push(event), emit(event, ...args));
    try {
      expect(setKeepAlive(socket, { idle: 3000, interval: 2000, count: 2, userTimeout: 'auto' })).toBeNull();
      const applied = whenKeepAliveApplied(socket);
      socket.connect(port, '127.0.0.1');
      const settings = await applied;
      expect(settings).toEqual({ enabled: true, idle: 3000, interval: 2000, count: 2, userTimeout: 7000 });
      expect(getKeepAlive(socket)).toEqual(settings);
      // Only Node's own events: the library adds none to a socket it does not own.
      expect(emitted.filter((e) => typeof e === 'string' && /keep/i.test(e))).toEqual([]);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it('the last call before connect wins', async () => {
    const server = net.createServer();
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1');
    try {
      expect(setKeepAlive(socket, { idle: 3000 })).toBeNull();
      expect(setKeepAlive(socket, { idle: 5000 })).toBeNull();
      await once(socket, 'connect');
      expect(getKeepAlive(socket).idle).toBe(5000);
      await expect(whenKeepAliveApplied(socket)).resolves.toMatchObject({ idle: 5000 });
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it('report a socket that closed before connecting instead of dropping the settings', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    setKeepAlive(socket, { idle: 3000 });
    await expect(whenKeepAliveApplied(socket)).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
  });
});
