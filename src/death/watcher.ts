/**
 * `watch(socket)`: one report, exactly once, saying why a connection died,
 * which mechanism noticed and when — also for a socket Node has stopped
 * polling (paused, or not reading, with no write pending), whose death Node
 * never reports.
 * @packageDocumentation
 */
import { EventEmitter, errorMonitor } from 'node:events';
import type * as net from 'node:net';
import { booleanArg, libraryError, netSocket, numberArg, optionsObject } from '../common';
import { countDeath, refreshMeter } from '../metrics';
import { connectedFd } from '../native';
import {
  checkKeepAlive,
  getKeepAlive,
  getSocketError,
  getTcpInfo,
  observeKeepAlive,
  peekSocket,
  readKeepAliveOptions,
  setKeepAlive,
  type KeepAliveCheck,
  type KeepAliveOptions,
  type KeepAliveSettings,
  type TcpInfo,
} from '../socket';
import { classifyDeath, type DeathReason, type DetectedBy } from './classify';
import { deferSampling, hurrySampling, startSampling, stopSampling } from './sampler';

/**
 * What a watcher reports when the connection dies. A detector of the
 * application's (the heartbeat) can report its own deaths through
 * {@link Watcher.declareDead}: `Reason`, `By` and `Detail` are then its
 * reason, its name and what it knows; the watcher itself knows none of them.
 */
export interface DeathReport<Reason extends string = never, By extends string = never, Detail = never> {
  reason: DeathReason | Reason;
  /** Node's error code ('ETIMEDOUT'), absent for a FIN or a local close. */
  code?: string;
  /** libuv's negative errno, when there was one. */
  errno?: number;
  detectedBy: DetectedBy | By;
  /** When the death was noticed, ms since the epoch (Date.now()). */
  at: number;
  /** Time since data was last received when the death was noticed, ms (the last snapshot's figure + its age). */
  lastDataReceivedAgo?: number;
  /** Time since data was last sent when the death was noticed, ms (the last snapshot's figure + its age). */
  lastDataSentAgo?: number;
  /** The last TCP_INFO snapshot before the death. */
  tcpInfo?: TcpInfo;
  /** The keep-alive settings in force (read when the watch started and after each change). */
  keepAlive?: KeepAliveSettings;
  /**
   * How the watcher learnt it: a socket event, its own sampling of a socket
   * Node had stopped polling, or a detector's {@link Watcher.declareDead}.
   */
  via: 'event' | 'sampler' | 'detector';
  /** What the detector knew, when a detector declared the death. */
  detail?: Detail;
}

/** A death a detector found, as it declares it (see {@link Watcher.declareDead}). */
export interface DeclaredDeath<Reason extends string, By extends string, Detail> {
  reason: Reason;
  detectedBy: By;
  /** The code of the error the detector ends the connection with, if any. */
  code?: string;
  detail: Detail;
}

/** Options of {@link watch}. */
export interface WatchOptions {
  /** Keep-alive settings applied in the same call (see {@link setKeepAlive}). */
  keepAlive?: KeepAliveOptions;
  /**
   * How often the shared sampler takes a TCP_INFO snapshot of this socket,
   * ms (default 1000, at least 10). Each sample is 2 syscalls; a death of a
   * socket Node no longer polls is noticed within one period. A socket Node
   * polls (it reports its own death) with nothing in flight is sampled less
   * often: every half of the shortest time a keep-alive or retransmission
   * timeout takes to build up (interval × count, or the user timeout), at
   * most every 5 minutes, never more often than this.
   */
  sampleInterval?: number;
  /**
   * When the sampler finds the connection dead and Node has not noticed,
   * destroy the socket with a Node-style error (e.g. `read ETIMEDOUT`) so the
   * application's usual 'error'/'close' path runs. Default `true`.
   */
  destroyOnDeath?: boolean;
}

/** Events of a {@link Watcher}. */
export interface WatcherEvents<Reason extends string = never, By extends string = never, Detail = never> {
  dead: [report: DeathReport<Reason, By, Detail>];
  keepAliveOverwritten: [check: KeepAliveCheck];
  /**
   * An unexpected failure inside the watcher (code ERR_TCP_KEEPALIVE_INTERNAL,
   * the failure as `cause`), emitted once; without a listener it is a process
   * warning instead. The watcher goes on reporting from the socket's events.
   */
  error: [error: Error];
}

const WATCH_OPTIONS = new Set(['keepAlive', 'sampleInterval', 'destroyOnDeath']);
const DEFAULT_SAMPLE_MS = 1000;
const MIN_SAMPLE_MS = 10;

/** This OS cannot take TCP_INFO snapshots (Windows before 10 1703): nothing to sample, said once. */
let samplingUnsupported = false;

/**
 * Watches one connection. Emits `'dead'` exactly once with a
 * {@link DeathReport}; emits `'keepAliveOverwritten'` when Node's own
 * `socket.setKeepAlive()` changed settings made through this library.
 * Holds nothing once the socket closes or {@link Watcher.stop} is called, and
 * never keeps the process alive.
 */
export class Watcher<Reason extends string = never, By extends string = never, Detail = never> extends EventEmitter<
  WatcherEvents<Reason, By, Detail>
> {
  readonly socket: net.Socket;
  readonly sampleInterval: number;
  private readonly destroyOnDeath: boolean;
  private last: { at: number; info: TcpInfo } | undefined;
  private keepAlive: KeepAliveSettings | undefined;
  private nextSampleAt = 0;
  /** @internal place in the sampler's per-tick list */
  sampledAt = -1;
  /** @internal the sampler's bucket this watcher waits in */
  deferredTo = -1;
  /**
   * Node's handle of the socket, kept from the last snapshot: a tick looks
   * at its `reading` flag (see polledByNode) without going through the
   * socket, one memory access fewer per watcher at 10⁵ watchers.
   */
  private handle: { reading?: unknown } | null = null;
  /** How long a quiet socket Node polls may go unsampled, ms (see quietPeriodOf). */
  private quietPeriod: number;
  /** Until when (ms since the epoch) the socket is quiet and polled by Node: no snapshot needed. */
  private quietUntil = 0;
  private reported = false;
  private stopped = false;
  private sawEnd = false;
  /** The kernel closed the connection in an orderly way: nothing for the sampler to do. */
  private endedInOrder = false;
  private verifying = false;
  private surfaced = false;
  private readonly unobserve: () => void;

  /** @internal use {@link watch} */
  constructor(socket: net.Socket, options: ResolvedWatchOptions) {
    super();
    this.socket = socket;
    this.sampleInterval = options.sampleInterval;
    this.quietPeriod = options.sampleInterval;
    this.destroyOnDeath = options.destroyOnDeath;
    socket.on('end', this.onEnd);
    // errorMonitor observes without handling: an application without an
    // 'error' listener still fails exactly as it would without the watcher.
    (socket as EventEmitter).on(errorMonitor, this.onError);
    socket.on('close', this.onClose);
    socket.on('connect', this.onConnect);
    // A paused socket may stop being read: looked at every period again.
    socket.on('pause', this.onPause);
    this.unobserve = observeKeepAlive(
      socket,
      {
        afterNodeCall: () => this.afterNodeSetKeepAlive(),
        afterApplied: (settings) => this.setKeepAliveKnown(settings),
      },
      'observe',
    );
    startSampling(this);
    refreshMeter();
    if (!socket.pending && !socket.connecting) this.onConnect();
  }

  /** The last TCP_INFO snapshot and when it was taken (ms since the epoch). */
  get lastSample(): { at: number; info: TcpInfo } | undefined {
    return this.last;
  }

  /** Stops watching and releases everything; no 'dead' is emitted afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    stopSampling(this);
    this.socket.removeListener('end', this.onEnd);
    (this.socket as EventEmitter).removeListener(errorMonitor, this.onError);
    this.socket.removeListener('close', this.onClose);
    this.socket.removeListener('connect', this.onConnect);
    this.socket.removeListener('pause', this.onPause);
    this.unobserve();
  }

  /**
   * Declares the connection dead for a reason found outside the socket and
   * the kernel, by a detector of the application's (the heartbeat does).
   * Emits 'dead' with `via: 'detector'` and the detector's detail; ignored
   * (returns undefined) when the death was already reported.
   */
  declareDead(death: DeclaredDeath<Reason, By, Detail>): DeathReport<Reason, By, Detail> | undefined {
    const fields: ReportFields<Reason, By, Detail> = { reason: death.reason, detectedBy: death.detectedBy, via: 'detector', detail: death.detail };
    if (death.code !== undefined) fields.code = death.code;
    return this.report(fields);
  }

  private readonly onConnect = (): void => {
    this.refreshKeepAlive();
    this.sample(Date.now());
  };

  private refreshKeepAlive(): void {
    try {
      this.setKeepAliveKnown(getKeepAlive(this.socket));
    } catch (error) {
      this.unexpected(error);
    }
  }

  private setKeepAliveKnown(settings: KeepAliveSettings): void {
    this.keepAlive = settings;
    this.quietPeriod = quietPeriodOf(settings, this.sampleInterval);
  }

  private afterNodeSetKeepAlive(): void {
    if (this.verifying || this.stopped || this.socket.pending || this.socket.destroyed) return;
    this.verifying = true;
    try {
      const check = checkKeepAlive(this.socket);
      this.refreshKeepAlive();
      if (check && !check.intact) this.emit('keepAliveOverwritten', check);
    } catch (error) {
      this.unexpected(error);
    } finally {
      this.verifying = false;
    }
  }

  /**
   * @internal Called by the shared timer: samples when due by `horizon`. A
   * quiet socket Node polls waits for `quietUntil`, unless Node stopped
   * polling it meanwhile (the application paused it and its buffer filled).
   * Data written meanwhile needs no look of its own: a retransmission
   * timeout takes at least the user timeout to build up, twice the quiet
   * period, so a snapshot still lands inside it.
   */
  sampleIfDue(now: number, horizon: number): void {
    if (horizon < this.nextSampleAt) return;
    if (horizon >= this.quietUntil || this.handle?.reading !== true) this.sample(now);
  }

  private sample(now: number): void {
    this.nextSampleAt = now + this.sampleInterval;
    this.quietUntil = 0;
    this.handle = null;
    const socket = this.socket;
    if (this.reported || this.endedInOrder || samplingUnsupported || socket.destroyed || socket.pending || socket.connecting) return;
    let info: TcpInfo;
    try {
      info = getTcpInfo(socket);
    } catch (error) {
      this.unexpected(error);
      return;
    }
    if (info.state !== 'CLOSED') {
      this.last = { at: now, info };
      // The cost follows what needs watching. A socket Node does not poll
      // can die unseen: sampled every period. One Node polls reports its own
      // death; its snapshot is only there to tell a keep-alive timeout from
      // a retransmission timeout, so while nothing is in flight or
      // unanswered it is taken often enough to land inside the shortest
      // window in which either timeout can build up.
      if (polledByNode(socket) && quiet(info)) {
        this.quietUntil = now + this.quietPeriod;
        this.handle = (socket as unknown as { _handle: { reading?: unknown } })._handle;
        // Flowing, Node hands every chunk over as it reads it, so it never
        // stops reading for a full buffer: until the application pauses it
        // ('pause'), nothing to look at before quietUntil, not even per tick.
        if (socket.readableFlowing === true) deferSampling(this, this.quietUntil);
      }
      return;
    }
    // The kernel is done with the connection. If Node still polls the socket
    // it sees why in this loop iteration's I/O poll; only if the socket is
    // still alive after that is it one Node no longer polls.
    setImmediate(() => setImmediate(() => this.afterPoll()));
  }

  /**
   * A closed connection Node has not noticed. Only a kernel-side error (a
   * reset, a timeout) is grounds for acting: an orderly close (FIN) is left
   * for Node to deliver when the application reads, with its data.
   *
   * The error is looked at first without consuming it (POLLERR), then read
   * for the report, and the application is told what Node would have told
   * it when it reads. With nothing left in the kernel, Node's next read
   * would fail with the error: the socket is destroyed with it now (nothing
   * buffered either), or when the application has read what Node buffered.
   * While the kernel still holds data, Node reads it and then, before libuv
   * 1.52, ends the stream (a short read with POLLHUP was taken as end of
   * stream, the error never read), so nothing more is done; since 1.52
   * (libuv PR 4997) it reads on and fails with the error, which is then
   * delivered after the data.
   */
  private afterPoll(): void {
    if (this.reported || this.stopped || this.socket.destroyed) return;
    let pending: { code: string; errno: number } | null;
    let inKernel: number;
    try {
      const peek = peekSocket(connectedFd(this.socket));
      if (!peek.errorPending) {
        this.endedInOrder = true;
        return;
      }
      inKernel = peek.readableBytes;
      pending = getSocketError(this.socket);
    } catch (error) {
      this.unexpected(error);
      return;
    }
    if (pending === null) return; // taken by someone else between the two looks
    this.report({ ...classifyDeath(pending, this.context('read')), via: 'sampler' });
    if (inKernel > 0 && !LIBUV_READS_ERROR_AFTER_DATA) return;
    const error = Object.assign(new Error(`read ${pending.code}`), { code: pending.code, errno: pending.errno, syscall: 'read' });
    if (inKernel === 0 && this.socket.readableLength === 0 && this.destroyOnDeath) this.socket.destroy(error);
    else deliverAtEnd(this.socket, error);
  }

  private context(syscall?: string): { tcpInfo?: TcpInfo; keepAlive?: KeepAliveSettings; syscall?: string } {
    const context: { tcpInfo?: TcpInfo; keepAlive?: KeepAliveSettings; syscall?: string } = {};
    if (this.last) context.tcpInfo = this.last.info;
    if (this.keepAlive) context.keepAlive = this.keepAlive;
    if (syscall !== undefined) context.syscall = syscall;
    return context;
  }

  /**
   * A failure that is not the socket going away: surfaced once, as 'error' on
   * this watcher when the application listens for it, else as a process
   * warning. A socket that is closing is not a failure: its own events
   * report what happened.
   */
  private unexpected(cause: unknown): void {
    const code = (cause as { code?: unknown } | null)?.code;
    if (this.socket.destroyed || code === 'ERR_SOCKET_CLOSED' || code === 'ERR_TCP_KEEPALIVE_NOT_CONNECTED') return;
    if (code === 'ERR_TCP_KEEPALIVE_UNSUPPORTED') {
      // Not this socket's failure but the OS's: one warning for the process.
      if (!samplingUnsupported) {
        samplingUnsupported = true;
        process.emitWarning(
          `tcp-keepalive: watchers cannot sample on this OS (${(cause as Error).message}); deaths of sockets Node does not poll are not found, the others are reported from socket events`,
          { code: 'ERR_TCP_KEEPALIVE_UNSUPPORTED' },
        );
      }
      return;
    }
    if (this.surfaced) return;
    this.surfaced = true;
    const error = libraryError(
      'ERR_TCP_KEEPALIVE_INTERNAL',
      `tcp-keepalive: the watcher could not look at its socket (${cause instanceof Error ? cause.message : String(cause)}); it goes on with the socket's own events`,
    );
    (error as Error & { cause?: unknown }).cause = cause;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error);
  }

  private readonly onPause = (): void => {
    this.quietUntil = 0;
    hurrySampling(this);
  };

  private readonly onEnd = (): void => {
    this.sawEnd = true;
    this.report({ reason: 'peer-closed', detectedBy: 'peer', code: undefined, via: 'event' });
  };

  private readonly onError = (error: Error): void => {
    const e = error as NodeJS.ErrnoException;
    const found = classifyDeath(e, this.context(typeof e?.syscall === 'string' ? e.syscall : undefined));
    // Not from a system call and not a code we know: the application's own
    // socket.destroy(error). Its code is kept.
    if (found.reason === 'unknown' && e?.syscall === undefined) {
      found.reason = 'local-destroy';
      found.detectedBy = 'local';
    }
    this.report({ ...found, via: 'event' });
  };

  private readonly onClose = (): void => {
    if (!this.sawEnd) this.report({ reason: 'local-destroy', detectedBy: 'local', via: 'event' });
    this.stop();
  };

  private report(fields: ReportFields<Reason, By, Detail>): DeathReport<Reason, By, Detail> | undefined {
    if (this.reported || this.stopped) return undefined;
    this.reported = true;
    const at = Date.now();
    const report: DeathReport<Reason, By, Detail> = { reason: fields.reason, detectedBy: fields.detectedBy, at, via: fields.via };
    if (fields.code !== undefined) report.code = fields.code;
    if (fields.errno !== undefined) report.errno = fields.errno;
    const last = this.last;
    if (last) {
      const age = at - last.at;
      if (last.info.lastDataReceivedAgo !== undefined) report.lastDataReceivedAgo = last.info.lastDataReceivedAgo + age;
      if (last.info.lastDataSentAgo !== undefined) report.lastDataSentAgo = last.info.lastDataSentAgo + age;
      report.tcpInfo = last.info;
    }
    if (this.keepAlive) report.keepAlive = this.keepAlive;
    if ('detail' in fields) report.detail = fields.detail as Detail;
    // A detector (the heartbeat) counts the deaths it finds itself, also where no watcher runs.
    if (fields.via !== 'detector') countDeath(report.reason, report.detectedBy, report.lastDataReceivedAgo);
    // A concrete tuple: TypeScript cannot relate a generic class's event map to EventEmitter's.
    (this as EventEmitter).emit('dead', report);
    return report;
  }
}

/** What a report is made from. */
interface ReportFields<Reason extends string, By extends string, Detail> {
  reason: DeathReason | Reason;
  detectedBy: DetectedBy | By;
  code?: string;
  errno?: number;
  via: DeathReport['via'];
  detail?: Detail;
}

/**
 * Never longer than this between two snapshots of a quiet socket, ms: a
 * report's snapshot is at most this old. Without keep-alive or a user
 * timeout the kernel finds only a retransmission timeout (about 15 minutes
 * at Linux's defaults), which the classification reports without one.
 */
const MAX_QUIET_MS = 300_000;

/**
 * How long a quiet socket that Node polls may go unsampled: half the
 * shortest window in which a death's signs show in TCP_INFO before it
 * happens, so at least one snapshot falls inside it. Keep-alive probes are
 * out for interval × count before a keep-alive timeout (with a user timeout,
 * at least one interval); retransmissions run for up to the user timeout.
 * Without either, the retransmission timer runs for minutes: the cap holds.
 * Never shorter than the watcher's own period, which it was before.
 */
function quietPeriodOf(k: KeepAliveSettings, sampleInterval: number): number {
  // Values the OS did not report give no room to stretch.
  if (k.userTimeout === null || k.unverified !== undefined) return sampleInterval;
  let window = 2 * MAX_QUIET_MS;
  const userTimeout = k.userTimeout;
  if (k.enabled) {
    if (k.interval === null || k.count === null) return sampleInterval;
    window = Math.min(window, userTimeout > 0 ? k.interval : k.interval * k.count);
  }
  if (userTimeout > 0) window = Math.min(window, userTimeout);
  return Math.max(sampleInterval, Math.min(MAX_QUIET_MS, window / 2));
}

/** Nothing unacknowledged, unsent, retransmitted or probed: no timeout is building up. */
function quiet(info: TcpInfo): boolean {
  return (
    (info.unackedSegments ?? 1) === 0 &&
    (info.notSentBytes ?? 0) === 0 &&
    (info.probes ?? 1) === 0 &&
    (info.retransmits ?? 1) === 0 &&
    (info.backoff ?? 1) === 0
  );
}

/**
 * Whether libuv is reading this socket, so Node itself will see an error on
 * it: Node marks its handle `reading` while it is (a socket paused before it
 * connected, or whose buffer filled while paused, is not). Anything else,
 * an unknown handle included, counts as not polled.
 */
function polledByNode(socket: net.Socket): boolean {
  return (socket as unknown as { _handle?: { reading?: unknown } | null })._handle?.reading === true;
}

/**
 * Whether this Node's libuv, after the data of a connection that ended with
 * an error, reads the error (1.52 and later) or ends the stream.
 */
const LIBUV_READS_ERROR_AFTER_DATA = ((): boolean => {
  const [major = 0, minor = 0] = process.versions.uv.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 52);
})();

/**
 * Delivers `error` where Node would have: at its next read, once the
 * application has read what Node buffered. Having read SO_ERROR, that read
 * now reports a plain end of stream instead of the error, so the end of
 * stream is turned back into it: `push(null)` (how Node's read path ends a
 * stream) becomes `destroy(error)`, exactly what Node does when a read fails.
 */
function deliverAtEnd(socket: net.Socket, error: Error): void {
  const push = socket.push;
  socket.push = function pushUntilError(this: net.Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) return push.call(this, chunk, encoding);
    socket.push = push;
    this.destroy(error);
    return false;
  };
}

/**
 * Watches a TCP connection for its death. Optionally applies keep-alive
 * settings in the same call (`options.keepAlive`). The returned watcher emits
 * `'dead'` once with the reason, the error, which mechanism noticed, when, the
 * last TCP_INFO snapshot and the keep-alive settings in force.
 *
 * All watchers share one unref'd timer; a watched socket costs 2 syscalls
 * per `sampleInterval` while Node does not poll it or data is in flight, far
 * fewer while it idles (see {@link WatchOptions.sampleInterval}).
 */
export function watch<Reason extends string = never, By extends string = never, Detail = never>(
  socket: net.Socket,
  options?: WatchOptions,
): Watcher<Reason, By, Detail> {
  netSocket('socket', socket);
  const o = validateWatchOptions(options);
  if (socket.destroyed) throw libraryError('ERR_SOCKET_CLOSED', 'Socket is closed');
  // Applied first: an error here leaves nothing behind.
  if (o.keepAlive !== undefined) setKeepAlive(socket, o.keepAlive);
  return new Watcher<Reason, By, Detail>(socket, o);
}

/** @internal {@link WatchOptions} checked, with defaults. */
export interface ResolvedWatchOptions {
  keepAlive: KeepAliveOptions | undefined;
  sampleInterval: number;
  destroyOnDeath: boolean;
}

/** @internal Checks {@link WatchOptions} (the keep-alive settings too) without applying anything. */
export function validateWatchOptions(options: unknown): ResolvedWatchOptions {
  const o = optionsObject<WatchOptions>('options', options, WATCH_OPTIONS, 'a watch option');
  const sampleInterval =
    o.sampleInterval === undefined ? DEFAULT_SAMPLE_MS : numberArg('options.sampleInterval', o.sampleInterval, MIN_SAMPLE_MS, 2 ** 31 - 1, ' (milliseconds)');
  const destroyOnDeath = booleanArg('options.destroyOnDeath', o.destroyOnDeath, true);
  // Read once here; setKeepAlive reads this snapshot, not the caller's object again.
  const keepAlive = o.keepAlive === undefined ? undefined : readKeepAliveOptions(o.keepAlive, 'options.keepAlive');
  return { keepAlive, sampleInterval, destroyOnDeath };
}
