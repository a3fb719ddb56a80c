/**
 * `watch(socket)`: one report, exactly once, saying why a connection died,
 * which mechanism noticed and when — also for a socket Node has stopped
 * polling (paused, or not reading, with no write pending), whose death Node
 * never reports.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { classifyDeath, detectedByFor, type DeathReason, type DetectedBy } from './death';
import { invalidArgType, outOfRange } from './errors';
import { checkKeepAlive, getKeepAlive, setKeepAlive, type KeepAliveCheck, type KeepAliveSettings } from './keepalive';
import { validateOptions, type KeepAliveOptions } from './options';
import type { HeartbeatDeath } from './heartbeat/engine';
import { getSocketError } from './socket-error';
import { getTcpInfo, type TcpInfo } from './tcp-info';
import { netSocket, optionsObject } from './validate';

/** What a watcher reports when the connection dies. */
export interface DeathReport {
  reason: DeathReason;
  /** Node's error code ('ETIMEDOUT'), absent for a FIN or a local close. */
  code?: string;
  /** libuv's negative errno, when there was one. */
  errno?: number;
  detectedBy: DetectedBy;
  /** When the death was noticed, ms since the epoch (Date.now()). */
  at: number;
  /** ms since data was last received, per the kernel (last snapshot + its age). */
  lastReceiveAgoMs?: number;
  /** ms since data was last sent, per the kernel (last snapshot + its age). */
  lastSendAgoMs?: number;
  /** The last TCP_INFO snapshot before the death. */
  tcpInfo?: TcpInfo;
  /** The keep-alive settings in force (read when the watch started and after each change). */
  keepAlive?: KeepAliveSettings;
  /** How the watcher learnt it: a socket event, or its own sampling of a socket Node had stopped polling. */
  via: 'event' | 'sampler' | 'heartbeat';
  /** When the heartbeat noticed: its view (silence, bound, unanswered PINGs, RTT, event-loop lag). */
  heartbeat?: HeartbeatDeath;
}

/** Options of {@link watch}. */
export interface WatchOptions {
  /** Keep-alive settings applied in the same call (see {@link setKeepAlive}). */
  keepAlive?: KeepAliveOptions;
  /**
   * How often the shared sampler takes a TCP_INFO snapshot of this socket,
   * ms (default 1000, at least 10). Each sample is 2 syscalls; a death of a
   * socket Node no longer polls is noticed within one period.
   */
  sampleIntervalMs?: number;
  /**
   * When the sampler finds the connection dead and Node has not noticed,
   * destroy the socket with a Node-style error (e.g. `read ETIMEDOUT`) so the
   * application's usual 'error'/'close' path runs. Default `true`.
   */
  destroyOnDeath?: boolean;
}

/** Events of a {@link Watcher}. */
export interface WatcherEvents {
  dead: [report: DeathReport];
  keepAliveOverwritten: [check: KeepAliveCheck];
}

const WATCH_OPTIONS = new Set(['keepAlive', 'sampleIntervalMs', 'destroyOnDeath']);
const DEFAULT_SAMPLE_MS = 1000;
const MIN_SAMPLE_MS = 10;

/** All live watchers, sampled by one shared, unref'd timer. */
const watchers = new Set<Watcher>();
let timer: NodeJS.Timeout | undefined;
let timerPeriod = Infinity;

/** @internal How many watchers are live (tests check that all are released). */
export function liveWatcherCount(): number {
  return watchers.size;
}

function reschedule(): void {
  let period = Infinity;
  for (const w of watchers) period = Math.min(period, w.sampleIntervalMs);
  if (period === timerPeriod) return;
  if (timer) clearInterval(timer);
  timer = undefined;
  timerPeriod = period;
  if (period !== Infinity) {
    timer = setInterval(sampleAll, period);
    timer.unref();
  }
}

function sampleAll(): void {
  const now = Date.now();
  // Half a tick of tolerance: a watcher created just after the timer started
  // is sampled at every tick of its period, not every other one.
  const horizon = now + timerPeriod / 2;
  for (const w of watchers) w.sampleIfDue(now, horizon);
}

/**
 * Watches one connection. Emits `'dead'` exactly once with a
 * {@link DeathReport}; emits `'keepAliveOverwritten'` when Node's own
 * `socket.setKeepAlive()` changed settings made through this library.
 * Holds nothing once the socket closes or {@link Watcher.stop} is called, and
 * never keeps the process alive.
 */
export class Watcher extends EventEmitter<WatcherEvents> {
  readonly socket: net.Socket;
  readonly sampleIntervalMs: number;
  private readonly destroyOnDeath: boolean;
  private last: { at: number; info: TcpInfo } | undefined;
  private keepAlive: KeepAliveSettings | undefined;
  private nextSampleAt = 0;
  private reported = false;
  private stopped = false;
  private sawEnd = false;
  private verifying = false;
  private readonly nodeSetKeepAlive: net.Socket['setKeepAlive'] | undefined;
  private readonly wrappedSetKeepAlive: net.Socket['setKeepAlive'];

  /** @internal use {@link watch} */
  constructor(socket: net.Socket, options: WatchOptions) {
    super();
    this.socket = socket;
    this.sampleIntervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_MS;
    this.destroyOnDeath = options.destroyOnDeath !== false;
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('connect', this.onConnect);
    // Our own wrapper of this instance's setKeepAlive: a call by Node (or by
    // http.Agent) is checked once, with no periodic cost.
    this.nodeSetKeepAlive = socket.setKeepAlive;
    const watcher = this;
    this.wrappedSetKeepAlive = function setKeepAliveWatched(this: net.Socket, enable?: boolean, delay?: number) {
      const result = (watcher.nodeSetKeepAlive as net.Socket['setKeepAlive']).call(this, enable, delay);
      watcher.afterNodeSetKeepAlive();
      return result;
    };
    socket.setKeepAlive = this.wrappedSetKeepAlive;
    watchers.add(this);
    reschedule();
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
    watchers.delete(this);
    reschedule();
    this.socket.removeListener('end', this.onEnd);
    this.socket.removeListener('error', this.onError);
    this.socket.removeListener('close', this.onClose);
    this.socket.removeListener('connect', this.onConnect);
    // Only undo our own wrapper: someone may have wrapped it again since.
    if (this.nodeSetKeepAlive && this.socket.setKeepAlive === this.wrappedSetKeepAlive) {
      this.socket.setKeepAlive = this.nodeSetKeepAlive;
    }
  }

  /**
   * Declares the connection dead for a reason found outside the socket (the
   * application heartbeat uses this). Ignored after the first report.
   */
  declareDead(reason: DeathReason, fields: Partial<Pick<DeathReport, 'code' | 'errno' | 'via' | 'heartbeat'>> = {}): DeathReport | undefined {
    return this.report({ reason, detectedBy: detectedByFor(reason), via: fields.via ?? 'heartbeat', ...fields });
  }

  private readonly onConnect = (): void => {
    this.refreshKeepAlive();
    this.sample(Date.now());
  };

  private refreshKeepAlive(): void {
    try {
      this.keepAlive = getKeepAlive(this.socket);
    } catch {
      // not readable (closing); the previous value stands
    }
  }

  private afterNodeSetKeepAlive(): void {
    if (this.verifying || this.stopped || this.socket.pending || this.socket.destroyed) return;
    this.verifying = true;
    try {
      const check = checkKeepAlive(this.socket);
      this.refreshKeepAlive();
      if (check && !check.intact) this.emit('keepAliveOverwritten', check);
    } catch {
      // a socket that cannot be read now is handled by the death path
    } finally {
      this.verifying = false;
    }
  }

  /** @internal Called by the shared timer: samples when due by `horizon`. */
  sampleIfDue(now: number, horizon: number): void {
    if (horizon >= this.nextSampleAt) this.sample(now);
  }

  private sample(now: number): void {
    this.nextSampleAt = now + this.sampleIntervalMs;
    const socket = this.socket;
    if (this.reported || socket.destroyed || socket.pending || socket.connecting) return;
    let info: TcpInfo;
    try {
      info = getTcpInfo(socket);
    } catch {
      return; // the socket is going away; its events will tell
    }
    if (info.state !== 'CLOSED') {
      this.last = { at: now, info };
      return;
    }
    // The kernel has given up. If Node still polls the socket it will see the
    // error in this loop iteration's I/O poll; only if the socket is still
    // alive after that is it one Node no longer polls, and the pending error
    // is read here. (Reading SO_ERROR first would steal Node's error.)
    setImmediate(() => setImmediate(() => this.afterPoll()));
  }

  private afterPoll(): void {
    if (this.reported || this.stopped || this.socket.destroyed) return;
    let pending: { code: string; errno: number } | null = null;
    try {
      pending = getSocketError(this.socket);
    } catch {
      return;
    }
    const classified = pending ? classifyDeath(pending, this.context('read')) : { reason: 'peer-closed' as const, detectedBy: 'peer' as const };
    const report = this.report({ ...classified, via: 'sampler' });
    if (report && this.destroyOnDeath) {
      if (pending) {
        const error = new Error(`read ${pending.code}`) as NodeJS.ErrnoException;
        error.code = pending.code;
        error.errno = pending.errno;
        error.syscall = 'read';
        this.socket.destroy(error);
      } else {
        this.socket.destroy();
      }
    }
  }

  private context(syscall?: string): { tcpInfo?: TcpInfo; keepAlive?: KeepAliveSettings; syscall?: string } {
    return { tcpInfo: this.last?.info, keepAlive: this.keepAlive, syscall };
  }

  private readonly onEnd = (): void => {
    this.sawEnd = true;
    this.report({ reason: 'peer-closed', detectedBy: 'peer', code: undefined, via: 'event' });
  };

  private readonly onError = (error: Error): void => {
    const e = error as NodeJS.ErrnoException;
    const found = classifyDeath(e, this.context(e.syscall));
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

  private report(fields: {
    reason: DeathReason;
    detectedBy: DetectedBy;
    code?: string;
    errno?: number;
    via: DeathReport['via'];
    heartbeat?: HeartbeatDeath;
  }): DeathReport | undefined {
    if (this.reported || this.stopped) return undefined;
    this.reported = true;
    const at = Date.now();
    const report: DeathReport = { reason: fields.reason, detectedBy: fields.detectedBy, at, via: fields.via };
    if (fields.code !== undefined) report.code = fields.code;
    if (fields.errno !== undefined) report.errno = fields.errno;
    const last = this.last;
    if (last) {
      const age = at - last.at;
      if (last.info.lastDataReceivedAgoMs !== undefined) report.lastReceiveAgoMs = last.info.lastDataReceivedAgoMs + age;
      if (last.info.lastDataSentAgoMs !== undefined) report.lastSendAgoMs = last.info.lastDataSentAgoMs + age;
      report.tcpInfo = last.info;
    }
    if (this.keepAlive) report.keepAlive = this.keepAlive;
    if (fields.heartbeat) report.heartbeat = fields.heartbeat;
    this.emit('dead', report);
    return report;
  }
}

/**
 * Watches a TCP connection for its death. Optionally applies keep-alive
 * settings in the same call (`options.keepAlive`). The returned watcher emits
 * `'dead'` once with the reason, the error, which mechanism noticed, when, the
 * last TCP_INFO snapshot and the keep-alive settings in force.
 *
 * All watchers share one unref'd timer; each watched socket costs 2 syscalls
 * per `sampleIntervalMs`.
 */
export function watch(socket: net.Socket, options?: WatchOptions): Watcher {
  netSocket('socket', socket);
  const o = validateWatchOptions(options);
  // Applied first: an error here leaves nothing behind.
  if (o.keepAlive !== undefined) setKeepAlive(socket, o.keepAlive);
  return new Watcher(socket, o);
}

/** @internal Checks {@link WatchOptions} (the keep-alive settings too) without applying anything. */
export function validateWatchOptions(options: unknown): WatchOptions {
  const o = optionsObject<WatchOptions>('options', options, WATCH_OPTIONS, 'a watch option');
  const period = o.sampleIntervalMs;
  if (period !== undefined) {
    if (typeof period !== 'number') throw invalidArgType('options.sampleIntervalMs', 'of type number', period);
    if (!(period >= MIN_SAMPLE_MS && period <= 2 ** 31 - 1)) {
      throw outOfRange('options.sampleIntervalMs', `>= ${MIN_SAMPLE_MS} && <= 2147483647 (milliseconds)`, period);
    }
  }
  if (o.destroyOnDeath !== undefined && typeof o.destroyOnDeath !== 'boolean') {
    throw invalidArgType('options.destroyOnDeath', 'of type boolean', o.destroyOnDeath);
  }
  if (o.keepAlive !== undefined) validateOptions(o.keepAlive);
  return o;
}
