/**
 * `protectConnections(policy)`: one line that gives every TCP connection of
 * the process — clients, servers, drivers, fetch — the same keep-alive
 * policy at connect, kept in force against Node's own setKeepAlive. It finds
 * sockets through Node's public hooks (diagnostics_channel), patches nothing
 * unless asked, and never destroys or changes the behaviour of a socket it
 * could not protect: it counts it and moves on.
 * @packageDocumentation
 */
import * as dc from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { booleanArg, functionArg, invalidArgValue, optionsObject } from '../common';
import { watch, type DeathReason, type DeathReport, type Watcher } from '../death';
import { observe, refreshMeter } from '../metrics';
import { applyPolicyKeepAlive, keepAliveConfigured, prepareKeepAlive, setKeepAlive, type PolicyHooks, type PreparedKeepAlive } from '../socket';
import { resolvePolicy, type ProtectionPolicy, type ResolvedPolicy } from './policy';

/** Options of {@link protectConnections}. */
export interface ProtectOptions {
  /**
   * Which connections to protect, asked once each when it is connected (the
   * remote address and port are known then). Default: all of them. If it
   * throws, the connection is left alone and the error goes to `onError`.
   */
  filter?(socket: net.Socket): boolean;
  /**
   * A connection the policy could not be applied to (not one it skips on
   * purpose: UNIX-domain, closed first, filtered out). The socket is left as
   * it is. Default: a process warning.
   */
  onError?(error: Error, socket: net.Socket): void;
  /**
   * Also reach sockets Node publishes nothing for — before Node 22.17,
   * `new net.Socket().connect()` (pg, mysql2) and `tls.connect()` — by
   * wrapping `net.Socket.prototype.connect` while this handle lives. Off by
   * default: nothing of Node's is patched unless you ask.
   */
  patchSocketConnect?: boolean;
}

/** Why a connection was left unprotected. */
export interface SkippedCounts {
  /** `filter` said no. */
  filtered: number;
  /** Not TCP: a UNIX-domain socket, a pipe. */
  notTcp: number;
  /** Closed before it connected, or before it could be protected. */
  closed: number;
  /**
   * Already configured: by the application with this library's setKeepAlive
   * (its own settings stand), or by an earlier handle.
   */
  configured: number;
  /** The policy could not be applied (reported to `onError`). */
  failed: number;
}

/** What a handle has done so far. */
export interface ProtectionStats {
  /** Connections the policy was applied to. */
  protected: number;
  /** How they were found: Node's net hooks (client, server), undici's, the connect patch. */
  via: { client: number; server: number; undici: number; patch: number };
  skipped: SkippedCounts;
  /** Times Node's own setKeepAlive changed a protected socket and the policy put it back. */
  repaired: number;
  /** Deaths of protected connections by reason (with `watch`). */
  deaths: Partial<Record<DeathReason, number>>;
}

/** A death of a protected connection, with the endpoints it had. */
export interface ProtectedDeath extends DeathReport {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

/** Events of a {@link ConnectionProtection}. */
export interface ProtectionEvents {
  dead: [death: ProtectedDeath];
}

type Origin = keyof ProtectionStats['via'];

// Every handle's work, for the metrics: read only when they are collected.
const processTotals = { via: { client: 0, server: 0, undici: 0, patch: 0 }, repaired: 0 };
const foundBy = {
  client: { 'tcp_keepalive.found_by': 'client' },
  server: { 'tcp_keepalive.found_by': 'server' },
  undici: { 'tcp_keepalive.found_by': 'undici' },
  patch: { 'tcp_keepalive.found_by': 'patch' },
} as const;
observe('tcp_keepalive.connection.protected', (report) => {
  for (const origin of ['client', 'server', 'undici', 'patch'] as const) report(processTotals.via[origin], foundBy[origin]);
});
observe('tcp_keepalive.keepalive.repaired', (report) => report(processTotals.repaired));

const PROTECT_OPTIONS: ReadonlySet<string> = new Set(['filter', 'onError', 'patchSocketConnect']);

/**
 * The handle {@link protectConnections} returns. Several may live at once:
 * the first made that accepts a socket (see `filter`) protects it, and the
 * others leave it alone (counted as `configured`) — so give a specific
 * policy first, a general one after, as with firewall rules.
 */
export class ConnectionProtection extends EventEmitter<ProtectionEvents> {
  /**
   * Marks a socket this handle has found, with where (a symbol of its own
   * on the socket: a WeakSet entry per connection costs the garbage
   * collector far more).
   */
  private readonly found = Symbol('tcp-keepalive protection');
  private readonly watchers = new Set<Watcher>();
  private readonly counts: ProtectionStats = {
    protected: 0,
    via: { client: 0, server: 0, undici: 0, patch: 0 },
    skipped: { filtered: 0, notTcp: 0, closed: 0, configured: 0, failed: 0 },
    repaired: 0,
    deaths: {},
  };
  private stopped = false;
  /** The policy's settings, checked once for every socket. */
  private readonly prepared: PreparedKeepAlive;
  /** What a protected socket's settings report back: repairs counted, failures reported. */
  private readonly hooks: PolicyHooks = {
    onRepairFailure: (error, socket) => this.failed(error, socket),
    onRepaired: () => {
      this.counts.repaired++;
      processTotals.repaired++;
    },
  };
  // Listeners of sockets waiting for 'connect', shared by all of them (Node
  // calls them with the socket as `this`).
  private readonly onConnect: (this: net.Socket) => void;
  private readonly onCloseFirst: (this: net.Socket) => void;
  private readonly onClient = (message: unknown): void => this.consider(socketOf(message), 'client');
  private readonly onServer = (message: unknown): void => this.consider(socketOf(message), 'server');
  private readonly onUndici = (message: unknown): void => this.consider(socketOf(message), 'undici');

  /** @internal use {@link protectConnections} */
  constructor(
    private readonly policy: ResolvedPolicy,
    private readonly filter: ((socket: net.Socket) => boolean) | undefined,
    private readonly onError: ((error: Error, socket: net.Socket) => void) | undefined,
    private readonly patch: boolean,
  ) {
    super();
    this.prepared = prepareKeepAlive(policy.keepAlive);
    const handle = this;
    this.onConnect = function onConnect(this: net.Socket): void {
      this.removeListener('close', handle.onCloseFirst);
      handle.protect(this, (this as net.Socket & Record<symbol, Origin>)[handle.found]);
    };
    this.onCloseFirst = function onCloseFirst(this: net.Socket): void {
      this.removeListener('connect', handle.onConnect);
      handle.counts.skipped.closed++;
    };
    dc.subscribe('net.client.socket', this.onClient);
    dc.subscribe('net.server.socket', this.onServer);
    dc.subscribe('undici:client:connected', this.onUndici);
    if (patch) patchConnect(this);
  }

  /** What has been done so far (a copy). */
  get stats(): ProtectionStats {
    const c = this.counts;
    return { protected: c.protected, via: { ...c.via }, skipped: { ...c.skipped }, repaired: c.repaired, deaths: { ...c.deaths } };
  }

  /**
   * Stops finding connections. Those already protected keep their settings
   * (and persist); their watchers stop. Idempotent.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    dc.unsubscribe('net.client.socket', this.onClient);
    dc.unsubscribe('net.server.socket', this.onServer);
    dc.unsubscribe('undici:client:connected', this.onUndici);
    if (this.patch) unpatchConnect(this);
    for (const w of this.watchers) w.stop();
    this.watchers.clear();
  }

  /** @internal A socket one of the hooks found (once per socket). */
  consider(socket: net.Socket | undefined, origin: Origin): void {
    if (this.stopped || socket === undefined) return;
    const marked = socket as net.Socket & Record<symbol, Origin | undefined>;
    if (marked[this.found] !== undefined) return;
    marked[this.found] = origin;
    if (!socket.pending) {
      this.protect(socket, origin);
      return;
    }
    // Not connected yet (a client just created): protect it at 'connect',
    // when its remote end is known, unless it closes first. The listeners
    // are this handle's own, shared by every socket (called with the socket
    // as `this`): nothing is allocated per connection for the wait.
    socket.once('connect', this.onConnect);
    socket.once('close', this.onCloseFirst);
  }

  private protect(socket: net.Socket, origin: Origin): void {
    const skipped = this.counts.skipped;
    if (this.stopped) return;
    if (socket.destroyed) {
      skipped.closed++;
      return;
    }
    if (this.filter) {
      let accepted: boolean;
      try {
        accepted = Boolean(this.filter(socket));
      } catch (error) {
        // Thrown inside the socket's 'connect': reported, not let loose on the application's socket.
        skipped.failed++;
        this.failed(error as Error, socket);
        return;
      }
      if (!accepted) {
        skipped.filtered++;
        return;
      }
    }
    if (keepAliveConfigured(socket)) {
      skipped.configured++;
      return;
    }
    try {
      applyPolicyKeepAlive(socket, this.prepared, this.hooks);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_TCP_KEEPALIVE_NOT_TCP' || code === 'ERR_TCP_KEEPALIVE_NO_FD') skipped.notTcp++;
      else if (code === 'ERR_SOCKET_CLOSED' || code === 'ERR_TCP_KEEPALIVE_NOT_CONNECTED') skipped.closed++;
      else {
        skipped.failed++;
        this.failed(error as Error, socket);
      }
      return;
    }
    this.counts.protected++;
    this.counts.via[origin]++;
    processTotals.via[origin]++;
    refreshMeter();
    if (this.policy.sampleInterval !== undefined) this.watch(socket);
  }

  /** The policy could not be applied, or not put back after Node's call: reported, the socket left alone. */
  private failed(error: Error, socket: net.Socket): void {
    if (this.onError) this.onError(error, socket);
    else process.emitWarning(error);
  }

  private watch(socket: net.Socket): void {
    // Report only: the application's socket behaves exactly as without us.
    const watcher = watch(socket, { sampleInterval: this.policy.sampleInterval, destroyOnDeath: false });
    const ends = { localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    this.watchers.add(watcher);
    watcher.on('dead', (report) => {
      this.watchers.delete(watcher);
      this.counts.deaths[report.reason] = (this.counts.deaths[report.reason] ?? 0) + 1;
      this.emit('dead', { ...report, ...ends });
    });
    socket.once('close', () => this.watchers.delete(watcher));
  }
}

/** The socket a hook's message carries, if it carries one. */
function socketOf(message: unknown): net.Socket | undefined {
  const socket = (message as { socket?: unknown } | null)?.socket;
  return socket instanceof net.Socket ? socket : undefined;
}

/** The handles that asked for the connect patch, and the method it replaced. */
const patched = new Set<ConnectionProtection>();
let originalConnect: net.Socket['connect'] | undefined;
let patchedConnect: net.Socket['connect'] | undefined;

function patchConnect(handle: ConnectionProtection): void {
  patched.add(handle);
  if (patchedConnect !== undefined) return;
  const original = net.Socket.prototype.connect;
  const wrapper = function connect(this: net.Socket, ...args: unknown[]): net.Socket {
    for (const h of patched) h.consider(this, 'patch');
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as net.Socket['connect'];
  originalConnect = original;
  patchedConnect = wrapper;
  net.Socket.prototype.connect = wrapper;
}

function unpatchConnect(handle: ConnectionProtection): void {
  patched.delete(handle);
  if (patched.size > 0 || patchedConnect === undefined) return;
  // Only our own wrapper is taken off: one installed over it keeps calling ours, which then just connects.
  if (net.Socket.prototype.connect === patchedConnect) net.Socket.prototype.connect = originalConnect as net.Socket['connect'];
  patchedConnect = undefined;
  originalConnect = undefined;
}

/**
 * Gives every TCP connection the process makes or accepts from now on —
 * `net`, `tls`, `http(s)` clients and servers, `fetch`/undici and every
 * driver built on them — the keep-alive `policy` at connect, kept in force
 * against later calls of Node's own `setKeepAlive` (persist on by default).
 *
 * Found through Node's public hooks (`diagnostics_channel`:
 * `net.client.socket`, `net.server.socket`, `undici:client:connected`).
 * Before Node 22.17, `new net.Socket().connect()` and `tls.connect()`
 * publish nothing: see `options.patchSocketConnect` and
 * {@link socketFactory}. A socket the policy cannot be applied to (not
 * TCP, closed first, filtered out, already configured by this library) is
 * left as it is and counted in `stats.skipped`.
 *
 * @param policy - keep-alive options as for setKeepAlive (ms), `persist`
 *   default `true`, and `watch` to report deaths through `'dead'`.
 * @returns the handle: `stats`, `stop()`, and `'dead'` events with `watch`.
 * @throws Node-style errors for a bad policy or options, before anything is subscribed.
 */
export function protectConnections(policy: ProtectionPolicy, options?: ProtectOptions): ConnectionProtection {
  const resolved = resolvePolicy(policy);
  const o = optionsObject<ProtectOptions>('options', options, PROTECT_OPTIONS, 'a protectConnections option');
  if (o.filter !== undefined) functionArg('options.filter', o.filter);
  if (o.onError !== undefined) functionArg('options.onError', o.onError);
  const patch = booleanArg('options.patchSocketConnect', o.patchSocketConnect, false);
  return new ConnectionProtection(resolved, o.filter, o.onError, patch);
}

/**
 * A function that makes a `net.Socket` with `policy` applied at connect —
 * for clients that take a socket factory (pg's and mysql2's `stream`
 * option), where Node publishes nothing before 22.17. A failure to apply it
 * destroys that socket with the error, as an explicit setKeepAlive would.
 */
export function socketFactory(policy: ProtectionPolicy): () => net.Socket {
  const { keepAlive, sampleInterval } = resolvePolicy(policy);
  if (sampleInterval !== undefined) throw invalidArgValue('policy.watch', true, 'is not for socketFactory (watch() the socket it makes)');
  return () => {
    const socket = new net.Socket();
    setKeepAlive(socket, keepAlive);
    return socket;
  };
}
