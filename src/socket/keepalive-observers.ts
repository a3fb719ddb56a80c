/**
 * Who is told when a socket's keep-alive settings change: after Node's own
 * `socket.setKeepAlive()` (which resets interval and count), through the one
 * wrapper this module puts on that socket instance, and after this library
 * applied settings. Persist (which repairs) and the watcher (which reports)
 * subscribe here instead of wrapping the method themselves, so they never
 * fight over it; the wrapper goes when the last subscriber does.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import type { KeepAliveSettings } from './options';

/** What a subscriber is told. */
export interface KeepAliveObserver {
  /**
   * Node's own `socket.setKeepAlive(...)` just ran (whatever its arguments:
   * Node 24 and 26 also take interval and count). Repairers run before
   * observers, so an observer sees the socket as repaired.
   */
  afterNodeCall?(): void;
  /**
   * This library just applied `settings` to the socket (read back from the
   * kernel): by a call of its own, or repairing what Node's own call changed.
   */
  afterApplied?(settings: KeepAliveSettings, cause: 'call' | 'repair'): void;
}

/** Repairers put the settings back; observers only look (and run after repairers). */
export type ObserverRole = 'repair' | 'observe';

interface Hooked {
  /** Persist's repair of this library's settings (one per socket: this library's own record). */
  repairer: KeepAliveObserver | undefined;
  /** Everyone else, told after the repair (made when the first one comes). */
  observers: KeepAliveObserver[] | undefined;
  /** The method the wrapper replaced (undefined while the wrapper is not installed). */
  original: net.Socket['setKeepAlive'] | undefined;
}

// Kept on the socket itself under a symbol, as Node keeps its own state:
// a WeakMap entry per connection costs the garbage collector far more.
const kHooked = Symbol('tcp-keepalive observers');
type HookedSocket = net.Socket & { [kHooked]?: Hooked };

/**
 * The one wrapper, shared by every socket (an own property of each hooked
 * instance, so Node's prototype is never touched). Every argument passes
 * through: newer Nodes take more than this Node's types know.
 */
const wrapper = function setKeepAlive(this: HookedSocket, ...args: unknown[]): net.Socket {
  const h = this[kHooked];
  const original = h?.original ?? (Object.getPrototypeOf(this) as net.Socket).setKeepAlive;
  const result = (original as (...a: unknown[]) => net.Socket).apply(this, args);
  if (h !== undefined) {
    h.repairer?.afterNodeCall?.();
    // A copy: a subscriber may leave while being told.
    if (h.observers !== undefined) for (const o of [...h.observers]) o.afterNodeCall?.();
  }
  return result;
} as net.Socket['setKeepAlive'];

function install(socket: HookedSocket, h: Hooked): void {
  if (h.original !== undefined) return;
  h.original = socket.setKeepAlive;
  socket.setKeepAlive = wrapper;
}

function uninstallIfUnused(socket: HookedSocket, h: Hooked): void {
  if (h.repairer?.afterNodeCall || h.observers?.some((o) => o.afterNodeCall)) return;
  // Only our own wrapper is taken off: if someone wrapped it since, theirs
  // calls ours, which then just calls Node's and tells nobody.
  if (h.original !== undefined && socket.setKeepAlive === wrapper) {
    if (h.original === (Object.getPrototypeOf(socket) as net.Socket).setKeepAlive) delete (socket as { setKeepAlive?: unknown }).setKeepAlive;
    else socket.setKeepAlive = h.original;
    h.original = undefined;
  }
  if (h.repairer === undefined && !h.observers?.length && h.original === undefined) socket[kHooked] = undefined;
}

/**
 * Subscribes `observer` to `socket` (a socket has at most one repairer).
 * Unsubscribe with {@link stopObserving}.
 */
export function startObserving(target: net.Socket, observer: KeepAliveObserver, role: ObserverRole): void {
  const socket = target as HookedSocket;
  let h = socket[kHooked];
  if (h === undefined) {
    h = { repairer: undefined, observers: undefined, original: undefined };
    socket[kHooked] = h;
  }
  if (role === 'repair') {
    if (h.repairer !== undefined && h.repairer !== observer) throw new Error('tcp-keepalive internal: a second repairer for one socket');
    h.repairer = observer;
  } else {
    (h.observers ??= []).push(observer);
  }
  if (observer.afterNodeCall) install(socket, h);
}

/** Unsubscribes `observer` from `socket` (idempotent); the wrapper goes with the last one. */
export function stopObserving(target: net.Socket, observer: KeepAliveObserver): void {
  const socket = target as HookedSocket;
  const h = socket[kHooked];
  if (h === undefined) return;
  if (h.repairer === observer) h.repairer = undefined;
  const i = h.observers?.indexOf(observer) ?? -1;
  if (i >= 0) h.observers?.splice(i, 1);
  uninstallIfUnused(socket, h);
}

/** Subscribes `observer` to `socket`; returns the function that unsubscribes it (idempotent). */
export function observeKeepAlive(socket: net.Socket, observer: KeepAliveObserver, role: ObserverRole): () => void {
  startObserving(socket, observer, role);
  return () => stopObserving(socket, observer);
}

/** Tells the subscribers of `socket` that this library applied `settings`. */
export function announceApplied(socket: net.Socket, settings: KeepAliveSettings, cause: 'call' | 'repair'): void {
  const h = (socket as HookedSocket)[kHooked];
  if (h === undefined) return;
  h.repairer?.afterApplied?.(settings, cause);
  if (h.observers !== undefined) for (const o of [...h.observers]) o.afterApplied?.(settings, cause);
}
