// protectConnections on loopback: every kind of TCP connection the process
// makes or accepts gets the policy (proved by reading the kernel through the
// raw descriptor), Node's own setKeepAlive is repaired, and what cannot be
// protected is left exactly as it was and counted.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { readFileSync, mkdtempSync } from 'node:fs';
import { getKeepAlive, protectConnections, setKeepAlive, watch, type ConnectionProtection, type KeepAliveCheck } from '../src/entry/main';
import { descriptorOf, listen } from './helpers/sockets';
import { closed, nextEvent } from './helpers/time';

const POLICY = { idle: 7000, interval: 3000, count: 4, userTimeout: 'auto' as const };
const IN_FORCE = { enabled: true, idle: 7000, interval: 3000, count: 4, userTimeout: 19_000 };
const fixtures = path.join(__dirname, 'fixtures');
const key = readFileSync(path.join(fixtures, 'localhost-key.pem'));
const cert = readFileSync(path.join(fixtures, 'localhost-cert.pem'));
// Node publishes net.client.socket for every client socket from 22.17 (for net.connect() only before).
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const publishesAllClients = major > 22 || (major === 22 && minor >= 17);

const handles: ConnectionProtection[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const h of handles.splice(0)) h.stop();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function protect(...args: Parameters<typeof protectConnections>): ConnectionProtection {
  const h = protectConnections(...args);
  handles.push(h);
  return h;
}

/** A server that keeps its accepted sockets, and reads the kernel settings of either end of a connection. */
async function server(make: () => net.Server = () => net.createServer()) {
  const srv = make();
  const accepted: net.Socket[] = [];
  srv.on(srv instanceof tls.Server ? 'secureConnection' : 'connection', (s: net.Socket) => {
    accepted.push(s);
    s.on('error', () => {});
  });
  const port = await listen(srv);
  cleanups.push(() => {
    for (const s of accepted) s.destroy();
    return new Promise((resolve) => srv.close(resolve));
  });
  return { srv, port, accepted };
}

/** The kernel's settings of this process's end of a connection, read through the raw descriptor. */
function kernelSettings(localPort: number, remotePort: number) {
  const fd = descriptorOf(localPort, remotePort);
  if (fd === undefined) throw new Error(`no descriptor for ${localPort} -> ${remotePort}`);
  return getKeepAlive(fd);
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(process.platform === 'linux')('protectConnections', () => {
  it('net.connect() and the accepted socket both get the policy, read back from the kernel', async () => {
    const h = protect(POLICY);
    const { port, accepted } = await server();
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    await until(() => accepted.length === 1);
    expect(kernelSettings(client.localPort as number, port)).toEqual(IN_FORCE);
    expect(kernelSettings(port, client.localPort as number)).toEqual(IN_FORCE);
    expect(h.stats).toMatchObject({ protected: 2, via: { client: 1, server: 1 } });
  });

  it("http.get with a keep-alive Agent: the agent's own setKeepAlive on reuse is repaired, and counted", async () => {
    const h = protect(POLICY);
    const srv = http.createServer((_req, res) => res.end('ok'));
    srv.keepAliveTimeout = 60_000;
    const port = await listen(srv);
    cleanups.push(() => new Promise((r) => srv.close(r)));
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const get = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', agent }, (res) => {
          res.resume();
          res.on('end', () => setImmediate(() => resolve(req.socket as net.Socket)));
        });
        req.on('error', reject);
      });
    const socket = await get();
    const localPort = socket.localPort as number;
    (agent as http.Agent & { keepAliveMsecs: number }).keepAliveMsecs = 5000; // the next reuse calls setKeepAlive(true, 5000)
    expect(await get()).toBe(socket);
    await get();
    expect(kernelSettings(localPort, port)).toEqual(IN_FORCE);
    expect(h.stats.repaired).toBeGreaterThanOrEqual(1);
  });

  it("fetch (Node's own undici): the connection nobody holds gets the policy", async () => {
    protect(POLICY);
    const { srv, port, accepted } = await server(() => http.createServer((_req, res) => res.end('ok')));
    (srv as http.Server).keepAliveTimeout = 60_000;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('ok');
    await until(() => accepted.length === 1);
    const clientPort = accepted[0]?.remotePort as number;
    expect(kernelSettings(clientPort, port)).toEqual(IN_FORCE);
  });

  it("fetch over TLS (undici): covered on every Node, through undici's own channel where Node's is silent", async () => {
    const { Agent, fetch: undiciFetch } = await import('undici');
    const h = protect(POLICY);
    const { port, accepted } = await server(() => https.createServer({ key, cert }, (_req, res) => res.end('ok')));
    const dispatcher = new Agent({ connect: { ca: cert, servername: 'localhost' } });
    cleanups.push(() => dispatcher.close());
    const res = await undiciFetch(`https://127.0.0.1:${port}/`, { dispatcher });
    expect(await res.text()).toBe('ok');
    await until(() => accepted.length === 1);
    expect(kernelSettings(accepted[0]?.remotePort as number, port)).toEqual(IN_FORCE);
    expect(h.stats.via[publishesAllClients ? 'client' : 'undici']).toBeGreaterThanOrEqual(1);
  });

  /** Connects one way and resolves with the connected socket. */
  const connected = async (socket: net.Socket, secure: boolean): Promise<net.Socket> => {
    await once(socket, secure ? 'secureConnect' : 'connect');
    return socket;
  };
  it.each([
    ['new net.Socket().connect()', false, (port: number) => connected(new net.Socket().connect(port, '127.0.0.1'), false)],
    ['tls.connect()', true, (port: number) => connected(tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' }), true)],
    // https.get connects with tls.connect(): the same coverage.
    [
      'https.get()',
      true,
      async (port: number) => {
        const req = https.get({ port, host: '127.0.0.1', ca: cert, servername: 'localhost', agent: false });
        req.on('error', () => {});
        const [socket] = (await once(req, 'socket')) as [net.Socket];
        return connected(socket, true);
      },
    ],
  ] as const)('%s: covered where Node publishes it (22.17+), else with patchSocketConnect', async (_name, secure, connect) => {
    const original = net.Socket.prototype.connect;
    for (const patch of [false, true]) {
      const h = protect(POLICY, { patchSocketConnect: patch });
      const { port } = await server(secure ? () => tls.createServer({ key, cert }) : undefined);
      const client = await connect(port);
      cleanups.push(() => client.destroy());
      const covered = patch || publishesAllClients;
      const settings = kernelSettings(client.localPort as number, port);
      if (covered) expect(settings).toEqual(IN_FORCE);
      else expect(settings.enabled).toBe(false);
      h.stop();
      client.destroy();
    }
    // The patch is gone with the last handle that asked for it.
    expect(net.Socket.prototype.connect).toBe(original);
  });

  it('a UNIX-domain connection is left exactly as it was, and counted', async () => {
    const h = protect(POLICY);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tk-unix-'));
    const srv = net.createServer((s) => s.pipe(s));
    srv.listen(path.join(dir, 's.sock'));
    await once(srv, 'listening');
    cleanups.push(() => new Promise((r) => srv.close(r)));
    const client = net.connect(path.join(dir, 's.sock'));
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    client.write('ping');
    const [echo] = await nextEvent<[Buffer]>(client, 'data');
    expect(echo.toString()).toBe('ping');
    expect(client.destroyed).toBe(false);
    expect(h.stats).toMatchObject({ protected: 0, skipped: { notTcp: 2 } }); // both ends
  });

  it('filter chooses by remote port; what it refuses keeps the kernel defaults', async () => {
    const a = await server();
    const b = await server();
    const h = protect(POLICY, { filter: (s) => s.remotePort === a.port });
    const ca = net.connect(a.port, '127.0.0.1');
    const cb = net.connect(b.port, '127.0.0.1');
    cleanups.push(() => ca.destroy(), () => cb.destroy());
    await Promise.all([once(ca, 'connect'), once(cb, 'connect')]);
    expect(kernelSettings(ca.localPort as number, a.port)).toEqual(IN_FORCE);
    expect(kernelSettings(cb.localPort as number, b.port).enabled).toBe(false);
    expect(h.stats.skipped.filtered).toBeGreaterThanOrEqual(1);
  });

  it('a filter that throws: the connection is left alone and usable, the error goes to onError', async () => {
    const errors: Error[] = [];
    const h = protect(POLICY, { filter: () => { throw new Error('bad filter'); }, onError: (e) => errors.push(e) });
    const { port } = await server(() => net.createServer((s) => s.pipe(s)));
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    client.write('still works');
    const [echo] = await nextEvent<[Buffer]>(client, 'data');
    expect(echo.toString()).toBe('still works');
    expect(errors.map((e) => e.message)).toEqual(['bad filter', 'bad filter']); // both ends
    expect(h.stats.skipped.failed).toBe(2);
  });

  it('a socket the policy cannot be applied to goes to onError, untouched and usable', async () => {
    // Only this kernel's idle (7200 s) pushes the 'auto' total past the limit.
    const errors: Array<[Error & { code?: string }, net.Socket]> = [];
    const h = protect({ interval: 16_880_000, count: 127, userTimeout: 'auto' }, { onError: (e, s) => errors.push([e, s]) });
    const { port } = await server(() => net.createServer((s) => s.pipe(s)));
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]?.[0]).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    client.write('still works');
    const [echo] = await nextEvent<[Buffer]>(client, 'data');
    expect(echo.toString()).toBe('still works');
    expect(kernelSettings(client.localPort as number, port).enabled).toBe(false);
    expect(h.stats).toMatchObject({ protected: 0, skipped: { failed: 2 } });
  });

  it("a socket configured with this library's setKeepAlive keeps its own settings; a later explicit call wins too", async () => {
    const h = protect(POLICY);
    const { port } = await server();
    const explicit = net.connect(port, '127.0.0.1');
    cleanups.push(() => explicit.destroy());
    setKeepAlive(explicit, { idle: 2000, interval: 1000, count: 2 }); // before 'connect': applied then
    await once(explicit, 'connect');
    expect(kernelSettings(explicit.localPort as number, port)).toMatchObject({ idle: 2000, interval: 1000, count: 2 });
    const later = net.connect(port, '127.0.0.1');
    cleanups.push(() => later.destroy());
    await once(later, 'connect');
    setKeepAlive(later, { idle: 5000 });
    expect(kernelSettings(later.localPort as number, port)).toMatchObject({ idle: 5000, interval: 3000, count: 4 });
    expect(h.stats.skipped.configured).toBe(1);
  });

  it('two handles: the first that accepts a socket protects it, the other counts it as configured', async () => {
    const db = await server();
    const other = await server();
    const tight = protect({ idle: 2000, interval: 1000, count: 2 }, { filter: (s) => s.remotePort === db.port });
    const general = protect(POLICY);
    const toDb = net.connect(db.port, '127.0.0.1');
    const toOther = net.connect(other.port, '127.0.0.1');
    cleanups.push(() => toDb.destroy(), () => toOther.destroy());
    await Promise.all([once(toDb, 'connect'), once(toOther, 'connect')]);
    expect(kernelSettings(toDb.localPort as number, db.port)).toMatchObject({ idle: 2000, interval: 1000, count: 2 });
    expect(kernelSettings(toOther.localPort as number, other.port)).toEqual(IN_FORCE);
    expect(tight.stats).toMatchObject({ protected: 1 }); // the accepted ends have no remote port of db's
    expect(general.stats.skipped.configured).toBe(1);
  });

  it("watch reports each protected connection's death once, with its endpoints, and changes nothing", async () => {
    const h = protect({ ...POLICY, watch: true });
    const deaths: unknown[] = [];
    h.on('dead', (d) => deaths.push(d));
    const { port, accepted } = await server();
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    const localPort = client.localPort;
    await until(() => accepted.length === 1);
    client.resume();
    accepted[0]?.end();
    await closed(client);
    await until(() => deaths.length === 2); // both ends
    expect(deaths).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: 'peer-closed', remotePort: port, localPort, via: 'event' })]),
    );
    expect(h.stats.deaths).toEqual({ 'peer-closed': 2 }); // our end read the FIN; theirs read our answering FIN
  });

  it("only a Node call that changed the kernel counts as repaired (Node skips a repeat; so do we)", async () => {
    const h = protect(POLICY);
    const { port } = await server();
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    client.setKeepAlive(true, 9000);
    client.setKeepAlive(true, 9000);
    expect(h.stats.repaired).toBe(1);
    client.setKeepAlive(false);
    expect(kernelSettings(client.localPort as number, port).enabled).toBe(false); // the application's off stands
    client.setKeepAlive(true, 9000);
    expect(kernelSettings(client.localPort as number, port)).toEqual(IN_FORCE);
    expect(h.stats.repaired).toBe(2);
  });

  it('a repair that fails goes to onError; the connection is not destroyed (an explicit persist would be)', async () => {
    // With the kernel's idle (7200 s) the 'auto' total fits; after Node sets idle to 32767 s it does not.
    const policy = { interval: 16_700_000, count: 127, userTimeout: 'auto' as const };
    const errors: Error[] = [];
    protect(policy, { onError: (e) => errors.push(e) });
    const { port } = await server(() => net.createServer((s) => s.pipe(s)));
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    client.setKeepAlive(true, 32_767_000);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' })]);
    client.write('still works');
    const [echo] = await nextEvent<[Buffer]>(client, 'data');
    expect(echo.toString()).toBe('still works');
    // The same settings through setKeepAlive itself: the application asked, so it fails loudly.
    const explicit = net.connect(port, '127.0.0.1');
    explicit.on('error', () => {});
    await once(explicit, 'connect');
    setKeepAlive(explicit, { ...policy, persist: true });
    explicit.setKeepAlive(true, 32_767_000);
    expect(explicit.destroyed).toBe(true);
  });

  it('stop(): new connections are left alone, protected ones keep their settings', async () => {
    const h = protect(POLICY);
    const { port } = await server();
    const before = net.connect(port, '127.0.0.1');
    cleanups.push(() => before.destroy());
    await once(before, 'connect');
    h.stop();
    const after = net.connect(port, '127.0.0.1');
    cleanups.push(() => after.destroy());
    await once(after, 'connect');
    expect(kernelSettings(before.localPort as number, port)).toEqual(IN_FORCE);
    expect(kernelSettings(after.localPort as number, port).enabled).toBe(false);
    before.setKeepAlive(true, 9000); // persist still repairs
    expect(kernelSettings(before.localPort as number, port)).toEqual(IN_FORCE);
  });

  it('refuses a bad policy or options with Node-style errors, subscribing nothing', () => {
    expect(() => protectConnections({ count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => protectConnections({ idel: 1000 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => protectConnections(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => protectConnections(POLICY, { filter: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => protectConnections({ ...POLICY, watch: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe.runIf(process.platform === 'linux')("watch() with persist before connect", () => {
  it("reports no overwrite that persist repaired", async () => {
    const { port } = await server();
    const socket = new net.Socket();
    cleanups.push(() => socket.destroy());
    const watcher = watch(socket, { keepAlive: { ...POLICY, persist: true } });
    const overwritten: KeepAliveCheck[] = [];
    watcher.on('keepAliveOverwritten', (c) => overwritten.push(c));
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.setKeepAlive(true, 9000);
    expect(getKeepAlive(socket)).toEqual(IN_FORCE);
    expect(overwritten).toEqual([]);
    watcher.stop();
  });
});
