/**
 * The client process of the lab's client comparison: the database and HTTP
 * clients a service really uses (pg's Pool, ioredis, undici's fetch,
 * http.get with a keep-alive Agent), each with three connections — one
 * mid-operation when the path dies, one idle, one idle then used 1 s
 * later — and the first error the application is given for each.
 *
 * The drivers are the application's, loaded from `resolveFrom` (the
 * project the lab runs in), never this package's dependencies.
 *
 * argv[2]: JSON {@link DriversConfig}. Commands on stdin: `start-mid`,
 * `use`, `unix-check`, `stats`. Events: `ready` (with each connection's
 * keep-alive as the kernel holds it), `mid-started`, `seen` (client, mode,
 * how it surfaced, code), `unix`, `stats`, `missing` (a driver not
 * installed: exit 3).
 * @packageDocumentation
 */
import { errorMonitor, type EventEmitter } from 'node:events';
import * as dc from 'node:diagnostics_channel';
import * as http from 'node:http';
import type * as net from 'node:net';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { protectConnections, socketFactory, type ConnectionProtection } from '../../policy';
import { getKeepAlive } from '../../socket';
import { USE_MODES, type DriverName, type DriversConfig, type UseMode } from '../drivers-config';
import { report } from './emit';

// The few members of each driver the lab uses, so its types need no driver installed.
interface PgPool {
  query(text: string): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'connect', listener: (client: { connection: { stream: net.Socket } }) => void): void;
  end(): Promise<void>;
}
interface IoRedis {
  stream: net.Socket;
  connect(): Promise<void>;
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): void;
  disconnect(): void;
}
interface UndiciAgent {
  on(event: 'disconnect', listener: (origin: unknown, targets: unknown, error: Error) => void): void;
  close(): Promise<void>;
}
interface Undici {
  Agent: new (options?: Record<string, unknown>) => UndiciAgent;
  fetch(url: string, init: { dispatcher: UndiciAgent }): Promise<{ text(): Promise<string> }>;
}

/** One client's three connections: how to warm each up, start the in-flight call, use the idle one, and close. */
interface Driver {
  sockets: Partial<Record<UseMode, net.Socket>>;
  warm(): Promise<void>;
  startMid(): void;
  use(): void;
  close(): void;
}

const config = JSON.parse(process.argv[2] ?? '{}') as DriversConfig;
const load = createRequire(path.join(path.resolve(config.resolveFrom), 'package.json'));
const seenAlready = new Set<string>();

process.on('uncaughtException', (error) => {
  report('uncaught', { message: String(error?.stack ?? error) });
  process.exit(70);
});

/** The first error the application was given for one client and mode; later ones are the same death. */
function seen(client: DriverName, mode: UseMode, how: string, error: unknown): void {
  const key = `${client}:${mode}`;
  if (seenAlready.has(key)) return;
  seenAlready.add(key);
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : undefined;
  report('seen', { client, mode, how, code, message, cause: typeof e?.cause?.message === 'string' ? e.cause.message : undefined });
}

/** A call that should never succeed once the path is gone; its rejection is what the application sees. */
function expectFailure(client: DriverName, mode: UseMode, how: string, call: () => Promise<unknown>): void {
  call().then(
    () => report('unexpected-success', { client, mode }),
    (error: unknown) => seen(client, mode, how, error),
  );
}

function driverModule<T>(name: string): T {
  try {
    return load(name) as T;
  } catch (error) {
    report('missing', { module: name, message: (error as Error).message.split('\n')[0] });
    process.exit(3);
  }
}

function pgDriver(): Driver {
  const { Pool } = driverModule<{ Pool: new (options: Record<string, unknown>) => PgPool }>('pg');
  const target = config.pg as NonNullable<DriversConfig['pg']>;
  const sockets: Driver['sockets'] = {};
  const own =
    config.protection === 'own'
      ? { keepAlive: true, keepAliveInitialDelayMillis: config.ownKeepAlive }
      : config.protection === 'factory'
        ? { stream: socketFactory(config.policy ?? {}) }
        : {};
  const pools = Object.fromEntries(
    USE_MODES.map((mode) => {
      // One connection, never closed for idleness: only the path can end it.
      const pool = new Pool({ ...target, max: 1, idleTimeoutMillis: 0, ...own });
      pool.on('connect', (client) => (sockets[mode] = client.connection.stream));
      pool.on('error', (error) => seen('pg', mode, "Pool 'error' event", error));
      return [mode, pool];
    }),
  ) as Record<UseMode, PgPool>;
  return {
    sockets,
    warm: async () => void (await Promise.all(USE_MODES.map((m) => pools[m].query('SELECT 1')))),
    startMid: () => expectFailure('pg', 'mid', 'query rejected', () => pools.mid.query('SELECT pg_sleep(3600)')),
    use: () => expectFailure('pg', 'used', 'query rejected', () => pools.used.query('SELECT 1')),
    close: () => USE_MODES.forEach((m) => void pools[m].end().catch(() => {})),
  };
}

function redisDriver(): Driver {
  const module = driverModule<{ default?: unknown }>('ioredis');
  const Redis = (module.default ?? module) as new (options: Record<string, unknown>) => IoRedis;
  const target = config.redis as NonNullable<DriversConfig['redis']>;
  const own = config.protection === 'own' ? { keepAlive: config.ownKeepAlive } : {};
  const clients = Object.fromEntries(
    USE_MODES.map((mode) => {
      const client = new Redis({ host: target.host, port: target.port, lazyConnect: true, ...own });
      // ioredis keeps commands for resend after a reconnect: its 'error' event is often all the application gets.
      client.on('error', (error) => seen('redis', mode, "'error' event", error));
      return [mode, client];
    }),
  ) as Record<UseMode, IoRedis>;
  const sockets: Driver['sockets'] = {};
  return {
    sockets,
    warm: async () => {
      await Promise.all(USE_MODES.map((m) => clients[m].connect()));
      await Promise.all(USE_MODES.map((m) => clients[m].call('PING')));
      for (const m of USE_MODES) sockets[m] = clients[m].stream;
    },
    startMid: () => expectFailure('redis', 'mid', 'command rejected', () => clients.mid.call('BLPOP', 'tk-never', 0)),
    use: () => expectFailure('redis', 'used', 'command rejected', () => clients.used.call('GET', 'tk-key')),
    close: () => USE_MODES.forEach((m) => clients[m].disconnect()),
  };
}

function fetchDriver(): Driver {
  const undici = driverModule<Undici>('undici');
  const target = config.http as NonNullable<DriversConfig['http']>;
  const own = config.protection === 'own' ? { connect: { keepAlive: true, keepAliveInitialDelay: config.ownKeepAlive } } : {};
  const agents = Object.fromEntries(USE_MODES.map((mode) => [mode, new undici.Agent(own)])) as Record<UseMode, UndiciAgent>;
  // A pooled connection that dies idle is dropped and said only here (not its own idle timeout: UND_ERR_INFO).
  agents.idle.on('disconnect', (_origin, _targets, error) => {
    if ((error as { code?: unknown }).code !== 'UND_ERR_INFO') seen('fetch', 'idle', "Agent 'disconnect' event", error);
  });
  const url = (mode: UseMode, route: string): string => `http://${target.host}:${target.ports[mode]}/${route}`;
  const sockets: Driver['sockets'] = {};
  // undici's socket, found by the port it connects to (one per mode).
  dc.subscribe('undici:client:connected', (message) => {
    const socket = (message as { socket?: net.Socket }).socket;
    const mode = USE_MODES.find((m) => target.ports[m] === socket?.remotePort);
    if (mode && socket) sockets[mode] = socket;
  });
  return {
    sockets,
    warm: async () => void (await Promise.all(USE_MODES.map(async (m) => (await undici.fetch(url(m, 'fast'), { dispatcher: agents[m] })).text()))),
    startMid: () => expectFailure('fetch', 'mid', 'fetch rejected', () => undici.fetch(url('mid', 'slow'), { dispatcher: agents.mid })),
    use: () => expectFailure('fetch', 'used', 'fetch rejected', async () => (await undici.fetch(url('used', 'fast'), { dispatcher: agents.used })).text()),
    close: () => USE_MODES.forEach((m) => void agents[m].close().catch(() => {})),
  };
}

function httpDriver(): Driver {
  const target = config.http as NonNullable<DriversConfig['http']>;
  const own = config.protection === 'own' && config.ownKeepAlive !== undefined ? { keepAliveMsecs: config.ownKeepAlive } : {};
  const agents = Object.fromEntries(USE_MODES.map((m) => [m, new http.Agent({ keepAlive: true, maxSockets: 1, ...own })])) as Record<UseMode, http.Agent>;
  const sockets: Driver['sockets'] = {};
  const get = (mode: UseMode, route: string, onSocket?: (s: net.Socket) => void): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: target.host, port: target.ports[mode], path: `/${route}`, agent: agents[mode] }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
        res.on('aborted', () => reject(Object.assign(new Error("response 'aborted'"), { code: 'ECONNRESET' })));
      });
      req.on('socket', (s: net.Socket) => onSocket?.(s));
      req.on('error', reject);
    });
  return {
    sockets,
    warm: async () => {
      await Promise.all(
        USE_MODES.map((m) =>
          get(m, 'fast', (s) => {
            sockets[m] = s;
            // An idle pooled socket's death reaches no application code: the agent drops the
            // socket (Node 24 without even emitting the error), so its close is the signal.
            if (m === 'idle') {
              let error: Error | undefined;
              (s as EventEmitter).on(errorMonitor, (e: Error) => (error = e));
              s.once('close', () => seen('http', 'idle', 'pooled socket dropped by the Agent', error ?? {}));
            }
          }),
        ),
      );
    },
    startMid: () => expectFailure('http', 'mid', "request 'error'", () => get('mid', 'slow')),
    use: () => expectFailure('http', 'used', "request 'error'", () => get('used', 'fast')),
    close: () => USE_MODES.forEach((m) => agents[m].destroy()),
  };
}

const MAKERS: Record<DriverName, () => Driver> = { pg: pgDriver, redis: redisDriver, fetch: fetchDriver, http: httpDriver };

async function main(): Promise<void> {
  // Before any driver is loaded or connects: as an application would at start.
  let protection: ConnectionProtection | undefined;
  if (config.protection === 'library') {
    protection = protectConnections(config.policy ?? {}, { patchSocketConnect: config.patchSocketConnect ?? false });
  }
  const drivers = config.clients.map((name) => [name, MAKERS[name]()] as const);
  // A UNIX-domain Redis connection in the same process: no policy may touch it.
  let unix: IoRedis | undefined;
  if (config.redis && config.clients.includes('redis')) {
    const module = driverModule<{ default?: unknown }>('ioredis');
    const Redis = (module.default ?? module) as new (options: Record<string, unknown>) => IoRedis;
    unix = new Redis({ path: config.redis.unixPath, lazyConnect: true });
    unix.on('error', (error) => report('unix-error', { message: error.message }));
    await unix.connect();
  }
  await Promise.all(drivers.map(([, d]) => d.warm()));
  const sockets = drivers.flatMap(([client, d]) =>
    USE_MODES.map((mode) => {
      const socket = d.sockets[mode];
      return { client, mode, localPort: socket?.localPort, keepAlive: socket && !socket.destroyed ? getKeepAlive(socket) : null };
    }),
  );
  report('ready', { node: process.version, sockets, stats: protection?.stats });

  createInterface({ input: process.stdin }).on('line', (line) => {
    const { cmd } = JSON.parse(line) as { cmd: string };
    if (cmd === 'start-mid') {
      for (const [, d] of drivers) d.startMid();
      report('start-mid');
    } else if (cmd === 'use') {
      for (const [, d] of drivers) d.use();
      report('use');
    } else if (cmd === 'unix-check') {
      if (!unix) report('unix-check', { ok: null });
      else {
        unix.call('PING').then(
          (answer) => report('unix-check', { ok: answer === 'PONG', destroyed: unix?.stream.destroyed }),
          (error: Error) => report('unix-check', { ok: false, message: error.message }),
        );
      }
    } else if (cmd === 'stats') {
      report('stats', { stats: protection?.stats });
    }
  });
  process.stdin.on('end', () => {
    for (const [, d] of drivers) d.close();
    unix?.disconnect();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  report('failed', { message: String((error as Error)?.stack ?? error) });
  process.exit(1);
});
