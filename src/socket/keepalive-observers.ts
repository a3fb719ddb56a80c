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
  repairers: KeepAliveObserver[];
  observers: KeepAliveObserver[];
  /** The method the wrapper replaced, and the wrapper itself (undefined while none is installed). */
  original: net.Socket['setKeepAlive'] | undefined;
  wrapper: net.Socket['setKeepAlive'] | undefined;
}

const hooked = new WeakMap<net.Socket, Hooked>();

function install(socket: net.Socket, h: Hooked): void {
  if (h.wrapper !== undefined) return;
  const original = socket.setKeepAlive;
  // Every argument passes through: newer Nodes take more than this Node's types know.
  const wrapper = function setKeepAlive(this: net.Socket, ...args: unknown[]): net.Socket {
    const result = (original as (...a: unknown[]) => net.Socket).apply(this, args);
    // Copies: a subscriber may leave while being told.
    for (const r of [...h.repairers]) r.afterNodeCall?.();
    for (const o of [...h.observers]) o.afterNodeCall?.();
    return result;
  } as net.Socket['setKeepAlive'];
  h.original = original;
  h.wrapper = wrapper;
  socket.setKeepAlive = wrapper;
}

function uninstallIfUnused(socket: net.Socket, h: Hooked): void {
  if ([...h.repairers, ...h.observers].some((o) => o.afterNodeCall)) return;
  // Only our own wrapper is taken off: if someone wrapped it since, theirs
  // calls ours, which then just calls Node's and tells nobody.
  if (h.wrapper !== undefined && socket.setKeepAlive === h.wrapper) {
    socket.setKeepAlive = h.original as net.Socket['setKeepAlive'];
    h.wrapper = undefined;
    h.original = undefined;
  }
  if (h.repairers.length === 0 && h.observers.length === 0 && h.wrapper === undefined) hooked.delete(socket);
}

/** Subscribes `observer` to `socket`; returns the function that unsubscribes it (idempotent). */
export function observeKeepAlive(socket: net.Socket, observer: KeepAliveObserver, role: ObserverRole): () => void {
  let h = hooked.get(socket);
  if (h === undefined) {
    h = { repairers: [], observers: [], original: undefined, wrapper: undefined };
    hooked.set(socket, h);
  }
  (role === 'repair' ? h.repairers : h.observers).push(observer);
  if (observer.afterNodeCall) install(socket, h);
  const record = h;
  return () => {
    for (const list of [record.repairers, record.observers]) {
      const i = list.indexOf(observer);
      if (i >= 0) list.splice(i, 1);
    }
    uninstallIfUnused(socket, record);
  };
}

/** Tells the subscribers of `socket` that this library applied `settings`. */
export function announceApplied(socket: net.Socket, settings: KeepAliveSettings, cause: 'call' | 'repair'): void {
  const h = hooked.get(socket);
  if (h === undefined) return;
  for (const o of [...h.repairers, ...h.observers]) o.afterApplied?.(settings, cause);
}
