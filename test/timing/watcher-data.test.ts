// The watcher never loses data and never changes what the application sees:
// for each way a connection can end while the application is not reading,
// the bytes, 'end', 'error' and 'close' it observes are the same with and
// without watch(), plain TCP and TLS.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { watch, type DeathReport } from '../../src/entry/main';
import { closed, sleep } from '../helpers/time';

const fixtures = path.join(__dirname, '..', 'fixtures');
const key = readFileSync(path.join(fixtures, 'localhost-key.pem'));
const cert = readFileSync(path.join(fixtures, 'localhost-cert.pem'));
const SAMPLE_MS = 50;

/** What the server does with its side of the connection. */
type Ending =
  // The client sends a request and its FIN; the server answers and closes.
  | 'half-close-answered'
  // The server sends more than Node buffers before it stops reading (16 KiB)
  // but less than the kernel holds, then FIN.
  | 'data-then-fin'
  // The same amount of data, then an abort with RST.
  | 'data-then-rst'
  // Exactly Node's high-water mark (16 KiB before Node 22, 64 KiB since):
  // Node reads it all and stops, the kernel's buffer is empty, then RST:
  // Node's next read fails.
  | 'buffered-then-rst';

/** How the client is not reading while the connection ends. */
type Reader = 'no-listener-yet' | 'paused-before-connect' | 'paused-full-buffer';

interface Seen {
  bytes: number;
  sha256: string;
  end: boolean;
  error: string | null;
  closed: boolean;
  reports: Array<Pick<DeathReport, 'reason' | 'via' | 'code'>>;
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function payload(ending: Ending): Buffer {
  const size = ending === 'half-close-answered' ? 1009 : ending === 'buffered-then-rst' ? new net.Socket().readableHighWaterMark : 100 * 1024;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7) & 0xff;
  return data;
}

async function startServer(ending: Ending, secure: boolean): Promise<number> {
  const data = payload(ending);
  const onSocket = (socket: net.Socket): void => {
    socket.on('error', () => {});
    if (ending === 'half-close-answered') {
      socket.resume();
      socket.on('end', () => socket.end(data));
    } else if (ending === 'data-then-fin') {
      socket.end(data);
    } else {
      // A TLS socket has no TCP handle of its own: reset the TCP socket under it.
      const delay = ending === 'buffered-then-rst' ? 150 : 20;
      socket.write(data, () => setTimeout(() => (secure ? raw.get(socket) : socket)?.resetAndDestroy(), delay));
    }
  };
  const raw = new Map<net.Socket, net.Socket>();
  const server = secure ? tls.createServer({ key, cert }, onSocket) : net.createServer(onSocket);
  if (secure) {
    let last: net.Socket | undefined;
    server.on('connection', (s: net.Socket) => (last = s));
    server.on('secureConnection', (s: net.Socket) => last && raw.set(s, last));
  }
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

async function run(ending: Ending, reader: Reader, secure: boolean, watched: boolean): Promise<Seen> {
  const port = await startServer(ending, secure);
  const seen: Seen = { bytes: 0, sha256: '', end: false, error: null, closed: false, reports: [] };
  const hash = createHash('sha256');
  const socket = secure
    ? tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' })
    : new net.Socket().connect(port, '127.0.0.1');
  // Like most applications it handles 'error' (and 'end') from the start;
  // only reading waits.
  socket.on('end', () => (seen.end = true));
  socket.on('error', (e: NodeJS.ErrnoException) => (seen.error = e.code ?? e.message));
  if (reader === 'paused-before-connect') socket.pause();
  await once(socket, secure ? 'secureConnect' : 'connect');
  if (reader === 'paused-full-buffer') socket.pause();
  if (watched) {
    watch(socket, { sampleInterval: SAMPLE_MS }).on('dead', (r) => seen.reports.push({ reason: r.reason, via: r.via, code: r.code }));
  }
  if (ending === 'half-close-answered') socket.end('request');
  // Several samples while the application does not read.
  await sleep(8 * SAMPLE_MS);
  // The application reads now, as it would after other work.
  socket.on('data', (chunk: Buffer) => {
    seen.bytes += chunk.length;
    hash.update(chunk);
  });
  const ended = closed(socket, 3000).catch(() => undefined);
  socket.resume();
  await ended;
  seen.closed = socket.destroyed;
  socket.destroy();
  seen.sha256 = hash.digest('hex');
  return seen;
}

const cases: Array<[Ending, Reader, boolean]> = [
  ['half-close-answered', 'no-listener-yet', false],
  ['half-close-answered', 'no-listener-yet', true],
  ['data-then-fin', 'paused-before-connect', false],
  ['data-then-fin', 'paused-full-buffer', false],
  ['data-then-fin', 'paused-full-buffer', true],
  ['data-then-rst', 'paused-before-connect', false],
  ['data-then-rst', 'paused-full-buffer', false],
  ['data-then-rst', 'paused-full-buffer', true],
  ['buffered-then-rst', 'paused-full-buffer', false],
];

describe.runIf(process.platform === 'linux')('watch() while the application is not reading', () => {
  it.each(cases)('%s, %s, TLS %s: the application sees exactly what it sees without the watcher', async (ending, reader, secure) => {
    const without = await run(ending, reader, secure, false);
    const withWatcher = await run(ending, reader, secure, true);
    // The control run itself shows data arriving: the comparison is not vacuous.
    expect(without.bytes).toBeGreaterThan(0);
    const { reports, ...observed } = withWatcher;
    const { reports: none, ...control } = without;
    expect(none).toEqual([]);
    expect(observed).toEqual(control);
    // At most one report, and never a destroy of an orderly end by the sampler.
    expect(reports.length).toBeLessThanOrEqual(1);
    if (!ending.endsWith('rst')) expect(reports.filter((r) => r.via === 'sampler')).toEqual([]);
  });

  it('a connection reset while paused before connect is reported at once, and its data still reaches the application', async () => {
    /** Connects paused, waits for the reset (with a watcher: until it reports), then reads; returns what the application saw. */
    const attempt = async (watched: boolean) => {
      const port = await startServer('data-then-rst', false);
      const socket = new net.Socket();
      const events: string[] = [];
      socket.on('end', () => events.push('end'));
      socket.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code} ${e.syscall}`));
      socket.pause();
      socket.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const reports: DeathReport[] = [];
      if (watched) watch(socket, { sampleInterval: SAMPLE_MS }).on('dead', (r) => reports.push(r));
      const started = Date.now();
      while ((watched ? reports.length === 0 : Date.now() - started < 400) && Date.now() - started < 2000) await sleep(10);
      const destroyedBeforeRead = socket.destroyed;
      let bytes = 0;
      socket.on('data', (d: Buffer) => (bytes += d.length));
      const ended = closed(socket);
      socket.resume();
      await ended;
      return { reports, destroyedBeforeRead, bytes, events, destroyed: socket.destroyed };
    };
    const control = await attempt(false);
    const observed = await attempt(true);
    // Node polls nothing here: only the sampler can know, and it must not wait for a read.
    expect(observed.reports).toEqual([expect.objectContaining({ reason: 'connection-reset', code: 'ECONNRESET', via: 'sampler' })]);
    // Then the application sees what Node itself delivers without a watcher
    // (the data, then the end of stream before libuv 1.52, the reset since).
    expect(control.bytes).toBe(100 * 1024);
    const { reports: _reported, ...seen } = observed;
    const { reports: none, ...expected } = control;
    expect(none).toEqual([]);
    expect(seen).toEqual(expected);
    expect(seen).toMatchObject({ destroyedBeforeRead: false, destroyed: true });
  });
});
