/**
 * The client comparison: real PostgreSQL, Redis and HTTP servers on the
 * peer host, the application's own clients (pg, ioredis, fetch/undici,
 * http.get) on the client host, the path between them silently dropped —
 * and, for each client and each way of protecting it, how long until the
 * application is given an error: mid-operation, idle, and idle then used.
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePolicy } from '../policy';
import type { KeepAliveSettings } from '../socket';
import { Actor } from './actor';
import { USE_MODES, type DriverName, type DriversConfig, type Protection, type UseMode } from './drivers-config';
import { TestNetwork, netnsSupport, nftSupport } from './netns';
import { startHttpServer } from './services/http';
import { postgresSupport, startPostgres } from './services/postgres';
import { redisSupport, startRedis } from './services/redis';

/** One way of running the clients. */
export interface ClientVariant {
  /** Its column in the table. */
  name: string;
  protection: Protection;
  /** The node binary that runs the clients (default: this one). */
  node?: string;
  /** With protection 'library': also `patchSocketConnect`. */
  patchSocketConnect?: boolean;
  /** Only these of the run's clients (protection 'factory' is for pg alone). */
  clients?: readonly DriverName[];
}

export interface ClientRunOptions {
  clients: readonly DriverName[];
  variants: readonly ClientVariant[];
  /** The policy of 'library' and 'register', as TCP_KEEPALIVE takes it (e.g. `idle=1s,interval=1s,count=2,userTimeout=auto`). */
  policy: string;
  /** The delay given to each client's own keep-alive option with protection 'own', ms. */
  ownKeepAlive: number;
  /** When the idle-then-used connection is used, ms after the cut. Default 1000. */
  useAfter?: number;
  /** How long to wait for errors after the cut, ms. */
  cap: number;
  /** The directory whose node_modules hold the drivers (the application's project). */
  resolveFrom: string;
  onProgress?: (event: ClientProgress) => void;
}

/** What {@link runClientComparison} reports while it runs. */
export type ClientProgress = { type: 'ready'; variants: number } | { type: 'cut'; cap: number } | { type: 'seen'; variant: string; client: DriverName; mode: UseMode; after: number };

/** One client, one way of using it, one variant. */
export interface ClientRow {
  variant: string;
  /** The Node that ran it. */
  node: string;
  client: DriverName;
  mode: UseMode;
  /** From the cut to the first error the application was given, ms; null: none within the cap. */
  seenAfter: number | null;
  /** How it was given (a rejected query, an 'error' event, ...). */
  how: string | null;
  /** The error's message, and its cause's when it has one (fetch: "fetch failed" ← "read ETIMEDOUT"). */
  message: string | null;
  code: string | null;
  /** The connection's keep-alive as the kernel held it before the cut (null: no connection). */
  keepAlive: KeepAliveSettings | null;
}

export interface ClientResult {
  startedAt: string;
  machine: { kernel: string; node: string; cpus: number };
  policy: string;
  /** idle + interval × count of the policy, ms (null if it does not set all three). */
  bound: number | null;
  useAfter: number;
  cap: number;
  rows: ClientRow[];
  /** Per protected variant: whether its UNIX-domain Redis connection still answered after the cut. */
  unix: Array<{ variant: string; ok: boolean | null }>;
  /** Per 'library' variant: the handle's stats at the end. */
  stats: Array<{ variant: string; stats: unknown }>;
}

/** The compiled scripts (lib/), also when this module runs from src/. */
const lib = path.resolve(__dirname, '..', '..', 'lib');
const PORTS = { pg: 5432, redis: 6379, http: { mid: 8080, idle: 8081, used: 8082 } } as const;

/** Why the comparison cannot run here for these clients, or undefined. */
export function clientComparisonBlocker(clients: readonly DriverName[]): string | undefined {
  for (const support of [
    netnsSupport(),
    nftSupport(),
    clients.includes('pg') ? postgresSupport() : { ok: true as const },
    clients.includes('redis') ? redisSupport() : { ok: true as const },
  ]) {
    if (!support.ok) return support.reason;
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function boundOf(policyText: string): number | null {
  const p = parsePolicy(policyText);
  return p.idle !== undefined && p.interval !== undefined && p.count !== undefined ? p.idle + p.interval * p.count : null;
}

/** Runs every variant's clients at once against one set of servers, cuts the path once, and collects what each saw. */
export async function runClientComparison(options: ClientRunOptions): Promise<ClientResult> {
  const blocker = clientComparisonBlocker(options.clients);
  if (blocker !== undefined) throw new Error(`the client comparison cannot run here: ${blocker}`);
  const policy = parsePolicy(options.policy); // a bad policy fails here, before anything starts
  const useAfter = options.useAfter ?? 1000;
  const startedAt = new Date().toISOString();
  const network = TestNetwork.create();
  const stops: Array<() => Promise<void>> = [];
  const actors: Actor[] = [];
  try {
    const needsHttp = options.clients.includes('fetch') || options.clients.includes('http');
    const clientsOf = (v: ClientVariant): DriverName[] => options.clients.filter((c) => !v.clients || v.clients.includes(c));
    const [pg, redis, httpServer] = await Promise.all([
      options.clients.includes('pg') ? startPostgres(network, PORTS.pg) : undefined,
      options.clients.includes('redis') ? startRedis(network, PORTS.redis) : undefined,
      needsHttp ? startHttpServer(network, Object.values(PORTS.http)) : undefined,
    ]);
    for (const s of [pg, redis, httpServer]) if (s) stops.push(() => s.stop());

    const base: Omit<DriversConfig, 'protection'> = { clients: [...options.clients], resolveFrom: options.resolveFrom, ownKeepAlive: options.ownKeepAlive };
    if (pg) base.pg = { host: pg.host, port: pg.port, user: pg.user, database: pg.database };
    if (redis) base.redis = { host: redis.host, port: redis.port, unixPath: redis.unixPath };
    if (httpServer) base.http = { host: network.peerAddress, ports: { ...PORTS.http } };
    for (const variant of options.variants) {
      const config: DriversConfig = { ...base, clients: clientsOf(variant), protection: variant.protection };
      if (variant.protection === 'library' || variant.protection === 'factory') config.policy = policy;
      if (variant.protection === 'library') config.patchSocketConnect = variant.patchSocketConnect ?? false;
      const node = variant.node ?? process.execPath;
      const script = [path.join(lib, 'lab', 'actors', 'drivers.js'), JSON.stringify(config)];
      // register: the zero-code-change form, exactly as a user starts a process with it.
      const command =
        variant.protection === 'register'
          ? ['env', `TCP_KEEPALIVE=${options.policy}`, node, '--import', pathToFileURL(path.join(lib, 'entry', 'register.mjs')).href, ...script]
          : [node, ...script];
      actors.push(new Actor(['ip', ...network.execArgs('client', command)], `clients (${variant.name})`));
    }
    const ready = await Promise.all(actors.map((a) => readyOf(a)));
    options.onProgress?.({ type: 'ready', variants: actors.length });

    // Requests in flight, acknowledged by the servers, then the path goes.
    await Promise.all(actors.map((a) => a.ask('start-mid', {}, 10_000)));
    await sleep(500);
    network.dropSilently();
    const cutAt = Date.now();
    options.onProgress?.({ type: 'cut', cap: options.cap });
    const useTimer = setTimeout(() => actors.forEach((a) => a.send({ cmd: 'use' })), useAfter);
    const expected = options.variants.reduce((n, v) => n + clientsOf(v).length * USE_MODES.length, 0);
    const reported = new Set<unknown>();
    while (Date.now() - cutAt < options.cap) {
      const seen = actors.flatMap((a, i) => a.events.filter((e) => e.type === 'seen').map((e) => [i, e] as const));
      for (const [i, e] of seen) {
        if (reported.has(e)) continue;
        reported.add(e);
        options.onProgress?.({ type: 'seen', variant: (options.variants[i] as ClientVariant).name, client: e.client as DriverName, mode: e.mode as UseMode, after: e.at - cutAt });
      }
      if (seen.length === expected) break;
      await sleep(50);
    }
    clearTimeout(useTimer);

    const unix: ClientResult['unix'] = [];
    const stats: ClientResult['stats'] = [];
    for (const [i, variant] of options.variants.entries()) {
      const actor = actors[i] as Actor;
      if (variant.protection === 'library' || variant.protection === 'register') {
        const check = await actor.ask('unix-check', {}, 5000).catch(() => undefined);
        unix.push({ variant: variant.name, ok: (check?.ok as boolean | null | undefined) ?? false });
      }
      if (variant.protection === 'library') stats.push({ variant: variant.name, stats: (await actor.ask('stats', {}, 5000)).stats });
    }

    const rows: ClientRow[] = [];
    for (const [i, variant] of options.variants.entries()) {
      const actor = actors[i] as Actor;
      const { node, sockets } = ready[i] as Ready;
      for (const client of clientsOf(variant)) {
        for (const mode of USE_MODES) {
          const seen = actor.events.find((e) => e.type === 'seen' && e.client === client && e.mode === mode && e.at - cutAt <= options.cap);
          const socket = sockets.find((s) => s.client === client && s.mode === mode);
          rows.push({
            variant: variant.name,
            node,
            client,
            mode,
            seenAfter: seen ? seen.at - cutAt : null,
            how: seen ? String(seen.how) : null,
            message: seen ? [seen.message, seen.cause].filter((m) => typeof m === 'string' && m !== '').join(' ← ') || null : null,
            code: typeof seen?.code === 'string' ? seen.code : null,
            keepAlive: socket?.keepAlive ?? null,
          });
        }
      }
    }
    return {
      startedAt,
      machine: { kernel: os.release(), node: process.version, cpus: os.cpus().length },
      policy: options.policy,
      bound: boundOf(options.policy),
      useAfter,
      cap: options.cap,
      rows,
      unix,
      stats,
    };
  } finally {
    await Promise.all(actors.map((a) => a.stop()));
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    network.destroy();
  }
}

interface Ready {
  node: string;
  sockets: Array<{ client: DriverName; mode: UseMode; keepAlive: KeepAliveSettings | null }>;
}

/** Waits for the clients to be connected; a driver the project lacks is said by name. */
async function readyOf(actor: Actor): Promise<Ready> {
  const first = await actor.next(['ready', 'missing', 'failed'], 60_000);
  if (first.type === 'missing') {
    throw new Error(`the client comparison needs the ${String(first.module)} package in the project it runs in (npm install ${String(first.module)}): ${String(first.message)}`);
  }
  if (first.type === 'failed') throw new Error(`${actor.name} failed: ${String(first.message)}`);
  return { node: String(first.node), sockets: first.sockets as Ready['sockets'] };
}
