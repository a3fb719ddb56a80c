/**
 * What the client comparison's client process (actors/drivers) is told:
 * which clients, how they are protected, where the servers are.
 * @packageDocumentation
 */
import type { ProtectionPolicy } from '../policy';

/** The clients the comparison knows: pg (Pool), ioredis, fetch from undici, http.get with a keep-alive Agent. */
export type DriverName = 'pg' | 'redis' | 'fetch' | 'http';

/** Every client, in table order. */
export const DRIVER_NAMES: readonly DriverName[] = ['pg', 'redis', 'fetch', 'http'];
/** How each client's connection is used when the path dies. */
export type UseMode = 'mid' | 'idle' | 'used';
/**
 * What protects the connections: nothing (the clients' defaults), the
 * clients' own keep-alive options, `protectConnections` in the process,
 * `--import tcp-keepalive/register` (set up by whoever starts the process),
 * or `socketFactory(policy)` given to a client that takes one (pg's
 * `stream` option; pg only).
 */
export type Protection = 'none' | 'own' | 'library' | 'register' | 'factory';

/** Every use mode, in table order. */
export const USE_MODES: readonly UseMode[] = ['mid', 'idle', 'used'];

/** What the process is told, as argv[2] JSON. */
export interface DriversConfig {
  clients: DriverName[];
  protection: Protection;
  /** For 'library' and 'factory'. */
  policy?: ProtectionPolicy;
  /** For 'library': also `patchSocketConnect`. */
  patchSocketConnect?: boolean;
  /** For 'own': the keep-alive delay given to each client's own option, ms. */
  ownKeepAlive?: number;
  /** The directory whose node_modules hold the drivers. */
  resolveFrom: string;
  pg?: { host: string; port: number; user: string; database: string };
  redis?: { host: string; port: number; unixPath: string };
  /** One port per use mode. */
  http?: { host: string; ports: Record<UseMode, number> };
}
