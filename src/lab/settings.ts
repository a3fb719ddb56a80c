/**
 * The lab's timings: the settings of every method, the built-in scales, and
 * the bounds they imply.
 * @packageDocumentation
 */

/** Timing of every method, ms. */
export interface LabSettings {
  keepAlive: { idle: number; interval: number; count: number };
  /** The user timeout of the "keep-alive + user timeout" method; 'auto' = idle + interval × count. */
  userTimeout: number | 'auto';
  /** The delay given to Node's own `socket.setKeepAlive(true, ms)`. */
  nodeIdle: number;
  heartbeat: { idle: number; interval: number; count: number };
  /** Slack allowed over a bound before a detection counts as late. */
  margin: number;
  /** Connections settle this long before the fault. */
  warmup: number;
}

/** Built-in scales: `fast` finishes in about a minute; `realistic` uses production-like values. */
export const SCALES: Readonly<Record<'fast' | 'realistic', LabSettings>> = {
  fast: {
    keepAlive: { idle: 1000, interval: 1000, count: 2 },
    userTimeout: 'auto',
    nodeIdle: 1000,
    heartbeat: { idle: 500, interval: 500, count: 3 },
    margin: 1000,
    warmup: 1500,
  },
  realistic: {
    keepAlive: { idle: 30_000, interval: 10_000, count: 3 },
    userTimeout: 'auto',
    nodeIdle: 30_000,
    heartbeat: { idle: 10_000, interval: 3000, count: 3 },
    margin: 5000,
    warmup: 3000,
  },
};

/** Node's libuv hard-codes these whenever `socket.setKeepAlive(true, ms)` runs. */
const NODE_INTERVAL = 1000;
const NODE_COUNT = 10;

/** Derived bounds of one run, ms. */
export interface Bounds {
  keepAlive: number;
  userTimeout: number;
  node: number;
  heartbeat: number;
  /** How long each scenario watches after its fault. */
  cap: number;
  /** The transient outage's length: a quarter of the smallest bound. */
  transientOutage: number;
}

export function boundsOf(s: LabSettings): Bounds {
  const keepAlive = s.keepAlive.idle + s.keepAlive.interval * s.keepAlive.count;
  const userTimeout = s.userTimeout === 'auto' ? keepAlive : s.userTimeout;
  const node = Math.floor(s.nodeIdle / 1000) * 1000 + NODE_INTERVAL * NODE_COUNT;
  // The heartbeat's tick (a quarter of its finer delay) can add to its bound.
  const heartbeat = s.heartbeat.idle + s.heartbeat.interval * s.heartbeat.count + Math.min(s.heartbeat.idle, s.heartbeat.interval) / 4;
  const cap = Math.max(keepAlive, userTimeout, node, heartbeat) + s.margin;
  return { keepAlive, userTimeout, node, heartbeat, cap, transientOutage: Math.min(keepAlive, userTimeout, node, heartbeat) / 4 };
}
