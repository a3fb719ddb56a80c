/**
 * Kernel keep-alive: apply, read back from the kernel, and keep in force.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import { invalidArgValue, libraryError, netSocket, outOfRange } from '../common';
import { connectedFd, Field, handleKind, nativeCall, Slot, socketState, throwIfFailed, type SocketLike } from '../native';
import { announceApplied, startObserving, stopObserving } from './keepalive-observers';
import {
  currentLimits,
  roundUpToSeconds,
  validateOptions,
  type KeepAliveOptions,
  type KeepAliveRequest,
  type KeepAliveSettings,
} from './options';


/** What the process-wide policy asks of a socket it protects, shared by all of them. */
export interface PolicyHooks {
  /** A repair failed: reported, the socket left alone (instead of destroyed). */
  onRepairFailure(error: Error, socket: net.Socket): void;
  /** A repair changed the kernel back. */
  onRepaired(): void;
}

/**
 * Per socket: the settings in force after the last successful call, and a
 * call deferred until 'connect'. A call that fails changes none of it. It is
 * also persist's repairer (subscribed while persist is on).
 */
class Applied {
  /** The settings read back after the last successful apply. */
  settings: KeepAliveSettings | undefined = undefined;
  /** The request those settings came from (persist re-applies it). */
  request: KeepAliveRequest | undefined = undefined;
  /** Persist's repair is subscribed. */
  persisting = false;
  /** A request waiting for 'connect' (the last call made before it wins). */
  deferred: KeepAliveRequest | undefined = undefined;
  /** The outcome of the last deferred request, when it failed. */
  error: Error | undefined = undefined;
  /** Set when the settings came from the process-wide policy. */
  policy: PolicyHooks | undefined = undefined;
  /** Promises of whenKeepAliveApplied waiting for a deferred request (made when the first one waits). */
  waiters: Array<[resolve: (s: KeepAliveSettings) => void, reject: (e: Error) => void]> | undefined = undefined;

  constructor(readonly socket: net.Socket) {}

  /** Persist: Node's own setKeepAlive just ran. */
  afterNodeCall(): void {
    repair(this.socket, this);
  }
}

// Kept on the socket under a symbol, as Node keeps its own state: a WeakMap
// entry per connection costs the garbage collector far more.
const kApplied = Symbol('tcp-keepalive settings');
type AppliedSocket = net.Socket & { [kApplied]?: Applied };
const appliedTo = (socket: net.Socket): Applied | undefined => (socket as AppliedSocket)[kApplied];

function recordOf(socket: net.Socket): Applied {
  let record = appliedTo(socket);
  if (record === undefined) {
    record = new Applied(socket);
    (socket as AppliedSocket)[kApplied] = record;
  }
  return record;
}

function settingsFromScratch(scratch: Float64Array): KeepAliveSettings {
  const mask = scratch[Slot.MASK];
  const settings: KeepAliveSettings = {
    enabled: scratch[Slot.ENABLED] !== 0,
    idle: mask & Field.IDLE ? scratch[Slot.IDLE] : null,
    interval: mask & Field.INTERVAL ? scratch[Slot.INTERVAL] : null,
    count: mask & Field.COUNT ? scratch[Slot.COUNT] : null,
    userTimeout: mask & Field.USER_TIMEOUT ? scratch[Slot.USER_TIMEOUT] : null,
  };
  if (mask & Field.COUNT_FIXED) settings.unverified = ['count'];
  return settings;
}

/** One native call: check the socket, apply the masked fields, read everything back. */
function applyMasked(fd: number, req: KeepAliveRequest, mask: number, userTimeoutMs: number): KeepAliveSettings {
  const { native, scratch } = nativeCall();
  scratch[Slot.MASK] = mask;
  scratch[Slot.ENABLED] = req.enabled ? 1 : 0;
  scratch[Slot.IDLE] = req.idleMs;
  scratch[Slot.INTERVAL] = req.intervalMs;
  scratch[Slot.COUNT] = req.count;
  scratch[Slot.USER_TIMEOUT] = userTimeoutMs;
  throwIfFailed(scratch, native.apply(fd, scratch), fd);
  const settings = settingsFromScratch(scratch);
  // Windows' fallback cannot read times back: show what was just set, flagged.
  if (settings.idle === null && mask & Field.IDLE) settings.idle = roundUpToSeconds(req.idleMs);
  if (settings.interval === null && mask & Field.INTERVAL) settings.interval = roundUpToSeconds(req.intervalMs);
  if (scratch[Slot.MASK] & Field.TIMES_UNVERIFIED) settings.unverified = [...(settings.unverified ?? []), 'idle', 'interval'];
  return settings;
}

function applyRequest(fd: number, req: KeepAliveRequest): KeepAliveSettings {
  if (req.userTimeoutMs !== 'auto') {
    return applyMasked(fd, req, req.mask, req.userTimeoutMs);
  }
  // 'auto' with a field left as the kernel has it: read the kernel's values
  // first, so the total is checked before anything is applied.
  const current = readSettings(fd);
  const idle = req.mask & Field.IDLE ? roundUpToSeconds(req.idleMs) : current.idle;
  const interval = req.mask & Field.INTERVAL ? roundUpToSeconds(req.intervalMs) : current.interval;
  const count = req.mask & Field.COUNT ? req.count : current.count;
  if (idle === null || interval === null || count === null) {
    throw libraryError(
      'ERR_TCP_KEEPALIVE_UNSUPPORTED',
      "tcp-keepalive: userTimeout 'auto' needs idle, interval and count; this OS cannot read them back, so pass all three",
    );
  }
  const total = idle + interval * count;
  const max = currentLimits().userTimeout?.max ?? 0;
  if (total > max) {
    throw outOfRange('options.userTimeout', `'auto' (idle + interval × count = ${idle} + ${interval} × ${count}) <= ${max}`, total);
  }
  return applyMasked(fd, req, req.mask | Field.USER_TIMEOUT, total);
}

function readSettings(fd: number): KeepAliveSettings {
  const { native, scratch } = nativeCall();
  throwIfFailed(scratch, native.read(fd, scratch), fd);
  return settingsFromScratch(scratch);
}

function settle(record: Applied): void {
  const waiters = record.waiters;
  if (waiters === undefined) return;
  record.waiters = undefined;
  for (const [resolve, reject] of waiters) {
    if (record.error) reject(record.error);
    else resolve(record.settings as KeepAliveSettings);
  }
}

/** Why settings are applied: a call (the policy's, or the application's), or a repair. */
type Cause = PolicyHooks | 'call' | 'repair';

/**
 * Applies `request` to a connected socket; only once the kernel accepted it
 * does the library remember it (settings, persist, subscribers told).
 */
function applyToSocket(
  socket: net.Socket,
  record: Applied,
  request: KeepAliveRequest,
  fd = connectedFd(socket),
  why: Cause = 'call',
): KeepAliveSettings {
  return remember(socket, record, request, applyRequest(fd, request), why);
}

/** The kernel accepted `request`: remember its settings, keep them in force if asked, tell the observers. */
function remember(socket: net.Socket, record: Applied, request: KeepAliveRequest, settings: KeepAliveSettings, why: Cause): KeepAliveSettings {
  record.settings = settings;
  record.request = request;
  record.error = undefined;
  if (why !== 'repair') record.policy = why === 'call' ? undefined : why;
  if (request.persist && !record.persisting) {
    startObserving(socket, record, 'repair');
    record.persisting = true;
  } else if (!request.persist && record.persisting) {
    stopObserving(socket, record);
    record.persisting = false;
  }
  announceApplied(socket, settings, why === 'repair' ? 'repair' : 'call');
  return settings;
}

/**
 * Persist: puts our settings back after Node's own `socket.setKeepAlive()`,
 * which resets TCP_KEEPINTVL to 1 s and TCP_KEEPCNT to 10 (libuv). Decided
 * on what the kernel now holds, not on the call's arguments (Node skips a
 * repeated call; newer Nodes take more arguments): nothing changed, nothing
 * to do; keep-alive turned off, the application's call stands until Node
 * turns it on again. If the repair fails the socket is destroyed with the
 * error (it would otherwise go on with settings the application did not ask
 * for), unless the settings came from the process-wide policy, which
 * reports instead and never breaks a connection.
 */
function repair(socket: net.Socket, record: Applied): void {
  const ours = record.settings;
  if (record.request === undefined || ours === undefined || socket.destroyed || socket.pending || socket.connecting) return;
  try {
    const fd = connectedFd(socket);
    const now = readSettings(fd);
    if (!now.enabled || sameSettings(now, ours)) return;
    applyToSocket(socket, record, record.request, fd, 'repair');
    record.policy?.onRepaired();
  } catch (error) {
    if (record.policy) record.policy.onRepairFailure(error as Error, socket);
    else socket.destroy(error as Error);
  }
}

/** Equal as far as the kernel can tell (a value it cannot read back is never equal). */
function sameSettings(a: KeepAliveSettings, b: KeepAliveSettings): boolean {
  return (['enabled', 'idle', 'interval', 'count', 'userTimeout'] as const).every((k) => a[k] !== null && a[k] === b[k]);
}

function defer(socket: net.Socket, record: Applied, request: KeepAliveRequest): void {
  const waiting = record.deferred !== undefined;
  record.deferred = request; // the listener already waiting applies the latest request
  record.error = undefined;
  if (waiting) return;
  const onConnect = (): void => {
    const pending = record.deferred as KeepAliveRequest;
    record.deferred = undefined;
    socket.removeListener('close', onClose);
    try {
      applyToSocket(socket, record, pending);
      settle(record);
    } catch (error) {
      record.error = error as Error;
      settle(record);
      // The user asked for dead-peer detection; carrying on without it
      // would be a silent failure, so the socket fails loudly instead.
      socket.destroy(error as Error);
    }
  };
  const onClose = (): void => {
    record.deferred = undefined;
    socket.removeListener('connect', onConnect);
    record.error = libraryError('ERR_SOCKET_CLOSED', 'tcp-keepalive: the socket closed before it connected; keep-alive was not applied');
    settle(record);
  };
  socket.once('connect', onConnect);
  socket.once('close', onClose);
}

/**
 * Turns on and tunes kernel keep-alive for one TCP socket, then reads the
 * settings back from the kernel.
 *
 * A connected socket: applied at once; returns the effective settings (the
 * caller sees rounding: idle 1500 → 2000). A socket still connecting (or not
 * connected yet): returns `null` and applies the settings on 'connect'; the
 * outcome is {@link whenKeepAliveApplied}. If they cannot be applied then,
 * the socket is destroyed with the error (so it surfaces as 'error'),
 * because settings are never dropped silently.
 *
 * @param socket - a net.Socket / tls.TLSSocket, or a raw TCP descriptor (POSIX).
 * @param options - times in ms; an omitted field is left as the kernel has it.
 * @returns the effective settings, or `null` when deferred until 'connect'.
 * @throws TypeError / RangeError with Node codes for bad arguments (nothing
 *   applied); ERR_TCP_KEEPALIVE_UNSUPPORTED for an option this OS lacks;
 *   ERR_SOCKET_CLOSED, ERR_TCP_KEEPALIVE_NOT_TCP; OS errors with code, errno, syscall.
 */
export function setKeepAlive(socket: SocketLike, options?: KeepAliveOptions): KeepAliveSettings | null {
  const request = validateOptions(options);
  const state = socketState(socket);
  if (typeof socket === 'number') {
    if (request.persist) {
      throw invalidArgValue('options.persist', true, 'needs a net.Socket, not a raw descriptor');
    }
    return applyRequest(socket, request);
  }
  const record = recordOf(socket);
  if (state.kind === 'pending') {
    defer(socket, record, request);
    return null;
  }
  return applyToSocket(socket, record, request, state.fd);
}

/**
 * @internal A request checked once for the process-wide policy, which
 * applies it to every connection. Where the kernel's values follow from the
 * request alone (Linux, all five fields given: times kept in whole seconds
 * rounded up, the user timeout in ms), `expected` holds them and a socket
 * Node opened as TCP is applied to without the check and the read-back:
 * 5 syscalls where setKeepAlive makes 11 (Node's own full call makes 4).
 */
export interface PreparedKeepAlive {
  readonly request: KeepAliveRequest;
  readonly expected: KeepAliveSettings | undefined;
}

const ALL_FIELDS = Field.ENABLE | Field.IDLE | Field.INTERVAL | Field.COUNT | Field.USER_TIMEOUT;

/** @internal Checks `options` once (Node-style errors) for {@link applyPolicyKeepAlive}. */
export function prepareKeepAlive(options: KeepAliveOptions): PreparedKeepAlive {
  const request = validateOptions(options);
  const known = process.platform === 'linux' && request.enabled && (request.mask & ALL_FIELDS) === ALL_FIELDS && typeof request.userTimeoutMs === 'number';
  // One frozen object for every socket: nothing per connection.
  const expected: KeepAliveSettings | undefined = known
    ? Object.freeze({
        enabled: true,
        idle: roundUpToSeconds(request.idleMs),
        interval: roundUpToSeconds(request.intervalMs),
        count: request.count,
        userTimeout: request.userTimeoutMs as number,
      })
    : undefined;
  return { request, expected };
}

/**
 * @internal setKeepAlive for the process-wide policy, on a connected socket:
 * the same, except that a later failed repair is reported to
 * `hooks.onRepairFailure` instead of destroying the socket, each repair is
 * counted by `hooks.onRepaired`, and
 * where {@link PreparedKeepAlive.expected} is known the kernel is not asked
 * again (the policy has no caller waiting for the values).
 */
export function applyPolicyKeepAlive(socket: net.Socket, prepared: PreparedKeepAlive, hooks: PolicyHooks): KeepAliveSettings {
  const fd = connectedFd(socket);
  const record = recordOf(socket);
  const { request, expected } = prepared;
  if (expected === undefined || handleKind(socket) !== 'tcp') return applyToSocket(socket, record, request, fd, hooks);
  const { native, scratch } = nativeCall();
  scratch[Slot.MASK] = request.mask | Field.NO_READBACK | Field.TCP_KNOWN;
  scratch[Slot.ENABLED] = 1;
  scratch[Slot.IDLE] = request.idleMs;
  scratch[Slot.INTERVAL] = request.intervalMs;
  scratch[Slot.COUNT] = request.count;
  scratch[Slot.USER_TIMEOUT] = request.userTimeoutMs as number;
  throwIfFailed(scratch, native.apply(fd, scratch), fd);
  return remember(socket, record, request, expected, hooks);
}

/** @internal Whether this library applied keep-alive settings to `socket`, or waits to at 'connect'. */
export function keepAliveConfigured(socket: net.Socket): boolean {
  const record = appliedTo(socket);
  return record !== undefined && (record.settings !== undefined || record.deferred !== undefined);
}

/**
 * The outcome of the last {@link setKeepAlive} on `socket`: resolves with the
 * effective settings once applied (at once if they already were), rejects
 * with the error if applying failed or the socket closed before connecting.
 * Rejects with ERR_INVALID_ARG_TYPE if `socket` is not a net.Socket, with
 * ERR_INVALID_ARG_VALUE if setKeepAlive was never called on it.
 */
export function whenKeepAliveApplied(socket: net.Socket): Promise<KeepAliveSettings> {
  try {
    netSocket('socket', socket); // a promise API rejects rather than throws
  } catch (error) {
    return Promise.reject(error);
  }
  const record = appliedTo(socket);
  if (!record || (record.settings === undefined && record.deferred === undefined && record.error === undefined)) {
    return Promise.reject(invalidArgValue('socket', '[net.Socket]', 'has no keep-alive settings from setKeepAlive()'));
  }
  if (record.deferred !== undefined) return new Promise((resolve, reject) => (record.waiters ??= []).push([resolve, reject]));
  if (record.error) return Promise.reject(record.error);
  return Promise.resolve(record.settings as KeepAliveSettings);
}

/**
 * Reads the keep-alive settings from the kernel.
 * @param socket - a connected net.Socket / tls.TLSSocket, or a raw TCP descriptor.
 * @throws ERR_TCP_KEEPALIVE_NOT_CONNECTED before 'connect'; as {@link setKeepAlive} otherwise.
 */
export function getKeepAlive(socket: SocketLike): KeepAliveSettings {
  const fd = connectedFd(socket);
  const settings = readSettings(fd);
  if (nativeCall().scratch[Slot.MASK] & Field.TIMES_UNVERIFIED && typeof socket !== 'number') {
    const last = appliedTo(socket)?.settings;
    if (last) {
      settings.idle = last.idle;
      settings.interval = last.interval;
      settings.unverified = [...(settings.unverified ?? []), 'idle', 'interval'];
    }
  }
  return settings;
}

/** What {@link checkKeepAlive} found. */
export interface KeepAliveCheck {
  /** Every field set through {@link setKeepAlive} still holds in the kernel. */
  intact: boolean;
  /** Fields whose kernel value differs from what was set. */
  changed: Array<keyof KeepAliveSettings>;
  /** The settings in force after the last {@link setKeepAlive}. */
  expected: KeepAliveSettings;
  /** The settings the kernel holds now. */
  actual: KeepAliveSettings;
}

/**
 * Compares the kernel's settings with the last {@link setKeepAlive} on this
 * socket, to notice when Node's own `socket.setKeepAlive()` (or anyone else)
 * has overwritten them. Returns `null` when setKeepAlive was never applied.
 * @throws ERR_INVALID_ARG_TYPE if `socket` is not a net.Socket.
 */
export function checkKeepAlive(socket: net.Socket): KeepAliveCheck | null {
  netSocket('socket', socket);
  const expected = appliedTo(socket)?.settings;
  if (!expected) return null;
  const actual = getKeepAlive(socket);
  const fields = ['enabled', 'idle', 'interval', 'count', 'userTimeout'] as const;
  const changed = fields.filter((f) => expected[f] !== null && actual[f] !== null && expected[f] !== actual[f]);
  return { intact: changed.length === 0, changed, expected, actual };
}
