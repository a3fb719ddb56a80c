/**
 * The comparison lab: kills real peers in every way that matters and
 * measures which mechanism notices, how fast, and with which error.
 * Used by `tcp-keepalive compare` (src/cli.ts) and by the lab test.
 * @packageDocumentation
 */
import * as os from 'node:os';
import { Actor } from './actor';
import { startChannelPeer, startClient } from './actors';
import { TestNetwork, netnsSupport } from './netns';
import type { ClientConfig } from './client-main';
import type { DeathReport } from '../watcher';

/** Timing of every method, ms. */
export interface LabSettings {
  keepAlive: { idle: number; interval: number; count: number };
  /** The user timeout of the "keep-alive + user timeout" method; 'auto' = idle + interval × count. */
  userTimeout: number | 'auto';
  /** The delay given to Node's own `socket.setKeepAlive(true, ms)`. */
  nodeIdle: number;
  heartbeat: { idle: number; interval: number; probes: number };
  /** Slack allowed over a bound before a detection counts as late. */
  marginMs: number;
  /** Connections settle this long before the fault. */
  warmupMs: number;
}

/** Built-in scales: `fast` finishes in about a minute; `realistic` uses production-like values. */
export const SCALES: Readonly<Record<'fast' | 'realistic', LabSettings>> = {
  fast: {
    keepAlive: { idle: 1000, interval: 1000, count: 2 },
    userTimeout: 'auto',
    nodeIdle: 1000,
    heartbeat: { idle: 500, interval: 500, probes: 3 },
    marginMs: 1000,
    warmupMs: 1500,
  },
  realistic: {
    keepAlive: { idle: 30_000, interval: 10_000, count: 3 },
    userTimeout: 'auto',
    nodeIdle: 30_000,
    heartbeat: { idle: 10_000, interval: 3000, probes: 3 },
    marginMs: 5000,
    warmupMs: 3000,
  },
};

/** Node's libuv hard-codes these whenever `socket.setKeepAlive(true, ms)` runs. */
const NODE_INTERVAL = 1000;
const NODE_COUNT = 10;

export type MethodName = 'none' | 'node' | 'keepalive' | 'keepalive-ut' | 'heartbeat' | 'heartbeat-keepalive';
export type ScenarioName =
  | 'process-crash'
  | 'process-hang'
  | 'peer-reset'
  | 'host-gone-idle'
  | 'host-gone-sending'
  | 'host-gone-receiving'
  | 'host-unreachable-inflight'
  | 'host-reboot'
  | 'transient';

/** Derived bounds of one run, ms. */
export interface Bounds {
  keepAlive: number;
  userTimeout: number;
  node: number;
  heartbeat: number;
  /** How long each scenario watches after its fault. */
  capMs: number;
  /** The transient outage's length: a quarter of the smallest bound. */
  transientMs: number;
}

export function boundsOf(s: LabSettings): Bounds {
  const keepAlive = s.keepAlive.idle + s.keepAlive.interval * s.keepAlive.count;
  const userTimeout = s.userTimeout === 'auto' ? keepAlive : s.userTimeout;
  const node = Math.floor(s.nodeIdle / 1000) * 1000 + NODE_INTERVAL * NODE_COUNT;
  // The heartbeat's tick (a quarter of its finer delay) can add to its bound.
  const heartbeat = s.heartbeat.idle + s.heartbeat.interval * s.heartbeat.probes + Math.min(s.heartbeat.idle, s.heartbeat.interval) / 4;
  const capMs = Math.max(keepAlive, userTimeout, node, heartbeat) + s.marginMs;
  return { keepAlive, userTimeout, node, heartbeat, capMs, transientMs: Math.min(keepAlive, userTimeout, node, heartbeat) / 4 };
}

/** One way of noticing a dead peer. */
export interface Method {
  name: MethodName;
  title: string;
  client(s: LabSettings): Omit<ClientConfig, 'host' | 'port'>;
}

export const METHODS: readonly Method[] = [
  { name: 'none', title: "no keep-alive (Node's default)", client: () => ({}) },
  { name: 'node', title: "Node's socket.setKeepAlive(true, idle)", client: (s) => ({ nodeKeepAlive: s.nodeIdle }) },
  { name: 'keepalive', title: 'tcp-keepalive kernel keep-alive', client: (s) => ({ keepAlive: s.keepAlive }) },
  {
    name: 'keepalive-ut',
    title: 'kernel keep-alive + user timeout',
    client: (s) => ({ keepAlive: { ...s.keepAlive, userTimeout: s.userTimeout } }),
  },
  { name: 'heartbeat', title: 'application heartbeat', client: (s) => ({ heartbeat: { ...s.heartbeat, jitter: 0 } }) },
  {
    name: 'heartbeat-keepalive',
    title: 'heartbeat + kernel keep-alive',
    client: (s) => ({ heartbeat: { ...s.heartbeat, jitter: 0 }, keepAlive: s.keepAlive }),
  },
];

/** A way for the peer to die, and what each method can do about it. */
export interface Scenario {
  name: ScenarioName;
  title: string;
  /** Needs network namespaces (root); the others also run on loopback. */
  needsNetns: boolean;
  /** The client writes every 100 ms from before the fault. */
  clientSends?: boolean;
  /** The peer sends every 100 ms. */
  peerSends?: boolean;
  /** The theoretical bound for a method, ms; null = it cannot detect this. */
  bound(method: MethodName, b: Bounds, s: LabSettings): number | null;
  /** Injects the fault. */
  fault(ctx: { network?: TestNetwork; peer: Actor; bounds: Bounds }): Promise<void> | void;
  /** A transient fault: nothing may die. */
  transient?: boolean;
}

const min = (...xs: Array<number | null>): number | null => {
  const finite = xs.filter((x): x is number => x !== null);
  return finite.length ? Math.min(...finite) : null;
};
const hbOr = (m: MethodName, b: Bounds, other: number | null): number | null =>
  m === 'heartbeat' ? b.heartbeat : m === 'heartbeat-keepalive' ? min(b.heartbeat, other) : other;

/** Nothing arrives any more and nothing is unacknowledged: keep-alive probes decide. */
const probedBound = (m: MethodName, b: Bounds): number | null =>
  m === 'node' ? b.node : m === 'keepalive' || m === 'keepalive-ut' || m === 'heartbeat-keepalive' ? b.keepAlive : null;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'process-crash',
    title: 'peer process crashes',
    needsNetns: false,
    bound: () => 0, // its kernel sends FIN at once
    fault: ({ peer }) => peer.signal('SIGKILL'),
  },
  {
    name: 'process-hang',
    title: 'peer process hangs (SIGSTOP)',
    needsNetns: false,
    // Its kernel keeps ACKing keep-alive probes: only a heartbeat notices.
    bound: (m, b) => hbOr(m, b, null),
    fault: ({ peer }) => peer.signal('SIGSTOP'),
  },
  {
    name: 'peer-reset',
    title: 'peer aborts the connection (RST)',
    needsNetns: false,
    bound: () => 0,
    fault: ({ peer }) => peer.send({ cmd: 'reset' }),
  },
  {
    name: 'host-gone-idle',
    title: 'peer host gone, we are idle',
    needsNetns: true,
    bound: (m, b) => hbOr(m, b, probedBound(m, b)),
    fault: ({ network }) => network?.cutPath(),
  },
  {
    name: 'host-gone-sending',
    title: 'peer host gone, we are sending',
    needsNetns: true,
    clientSends: true,
    // Keep-alive sends no probe while data is unacknowledged; only the user timeout bounds retransmission.
    bound: (m, b) => hbOr(m, b, m === 'keepalive-ut' ? b.userTimeout : null),
    fault: ({ network }) => network?.cutPath(),
  },
  {
    name: 'host-gone-receiving',
    title: 'peer host gone, we are only receiving',
    needsNetns: true,
    peerSends: true,
    bound: (m, b) => hbOr(m, b, probedBound(m, b)),
    fault: ({ network }) => network?.cutPath(),
  },
  {
    name: 'host-unreachable-inflight',
    title: 'peer host unreachable, data in flight',
    needsNetns: true,
    clientSends: true,
    bound: (m, b) => hbOr(m, b, m === 'keepalive-ut' ? b.userTimeout : null),
    fault: ({ network }) => network?.vanishPeerHost(),
  },
  {
    name: 'host-reboot',
    title: 'peer host reboots',
    needsNetns: true,
    // The next segment we send is answered by RST: a probe within idle, or a PING within the heartbeat's idle.
    bound: (m, _b, s) =>
      m === 'none'
        ? null
        : m === 'node'
          ? s.nodeIdle
          : m === 'keepalive' || m === 'keepalive-ut'
            ? s.keepAlive.idle
            : m === 'heartbeat'
              ? s.heartbeat.idle
              : Math.min(s.heartbeat.idle, s.keepAlive.idle),
    fault: ({ network }) => network?.rebootPeerHost(),
  },
  {
    name: 'transient',
    title: 'transient outage shorter than every bound',
    needsNetns: true,
    transient: true,
    bound: () => null,
    fault: ({ network, bounds }) => network?.cutPathFor(bounds.transientMs),
  },
];

/** One cell of the comparison. */
export interface LabRow {
  scenario: ScenarioName;
  method: MethodName;
  /** Death reported within the cap. */
  detected: boolean;
  /** From the fault to the report, ms. */
  detectionMs: number | null;
  /** From the last ACK the client received to the report, ms. */
  fromLastAckMs: number | null;
  /** The theoretical bound, ms; null when the method cannot detect this fault. */
  boundMs: number | null;
  code: string | null;
  reason: string | null;
  /** In the transient scenario: a death that should not have happened. */
  falseDeath: boolean;
}

/** A whole run. */
export interface LabResult {
  startedAt: string;
  scale: string;
  settings: LabSettings;
  bounds: Bounds;
  machine: { kernel: string; platform: string; node: string; cpus: number; cpuModel: string };
  mode: 'netns' | 'loopback';
  skipped: Array<{ scenario: ScenarioName; why: string }>;
  rows: LabRow[];
}

/** What {@link runComparison} reports while it runs. */
export type LabProgress =
  | { type: 'start'; scenario: Scenario; capMs: number }
  | { type: 'fault'; scenario: Scenario }
  | { type: 'done'; scenario: Scenario; rows: LabRow[] };

export interface RunOptions {
  settings: LabSettings;
  scale?: string;
  scenarios?: readonly ScenarioName[];
  methods?: readonly MethodName[];
  /** Scenarios run at once (each has its own namespaces). Default 2. */
  concurrency?: number;
  onProgress?: (event: LabProgress) => void;
  /** Stop early (Ctrl-C): running scenarios end and clean up. */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

async function runScenario(scenario: Scenario, methods: readonly Method[], options: RunOptions, useNetns: boolean): Promise<LabRow[]> {
  const { settings, signal } = options;
  const bounds = boundsOf(settings);
  const network = useNetns ? TestNetwork.create() : undefined;
  const actors: Actor[] = [];
  try {
    const peer = await startChannelPeer(network, scenario.peerSends ? { sendEveryMs: 100 } : {});
    actors.push(peer.actor);
    const clients = await Promise.all(
      methods.map((m) => startClient(network, { ...m.client(settings), host: peer.host, port: peer.port, watchSampleMs: 250 })),
    );
    actors.push(...clients);
    await sleep(settings.warmupMs, signal);
    if (scenario.clientSends) for (const c of clients) c.send({ cmd: 'write-every', ms: 100, bytes: 100 });
    await sleep(300, signal);
    const early = clients.map((c) => c.has('dead'));
    options.onProgress?.({ type: 'fault', scenario });
    // Times count from when the fault is in place (a reboot takes a moment).
    await scenario.fault({ network, peer: peer.actor, bounds });
    const faultAt = Date.now();
    // Watch until every method that can detect has, or the cap.
    const canDetect = methods.map((m) => scenario.bound(m.name, bounds, settings) !== null);
    while (!signal?.aborted && Date.now() - faultAt < bounds.capMs) {
      if (!scenario.transient && clients.every((c, i) => !canDetect[i] || c.has('dead'))) {
        if (canDetect.every(Boolean)) break;
      }
      await sleep(50, signal);
    }
    if (scenario.name === 'process-hang') peer.actor.signal('SIGCONT');
    return methods.map((m, i) => {
      const dead = (clients[i] as Actor).events.find((e) => e.type === 'dead');
      const report = dead?.report as DeathReport | undefined;
      const detected = dead !== undefined && !early[i];
      const lastAckAt = typeof dead?.lastAckAt === 'number' ? dead.lastAckAt : undefined;
      return {
        scenario: scenario.name,
        method: m.name,
        detected,
        detectionMs: detected && report ? report.at - faultAt : null,
        fromLastAckMs: detected && report && lastAckAt !== undefined ? report.at - lastAckAt : null,
        boundMs: scenario.bound(m.name, bounds, settings),
        code: report?.code ?? null,
        reason: report?.reason ?? null,
        falseDeath: Boolean(scenario.transient && dead) || early[i] === true,
      };
    });
  } finally {
    await Promise.all(actors.map((a) => a.stop()));
    network?.destroy();
  }
}

/**
 * Runs the chosen scenarios × methods. Without network namespaces (not root,
 * not Linux) only the loopback scenarios run; the others are listed in
 * `skipped` with the reason.
 */
export async function runComparison(options: RunOptions): Promise<LabResult> {
  const startedAt = new Date().toISOString();
  const support = netnsSupport();
  const useNetns = support.ok;
  const wanted = SCENARIOS.filter((s) => !options.scenarios || options.scenarios.includes(s.name));
  const methods = METHODS.filter((m) => !options.methods || options.methods.includes(m.name));
  const skipped: LabResult['skipped'] = [];
  const runnable = wanted.filter((s) => {
    if (s.needsNetns && !useNetns) {
      skipped.push({ scenario: s.name, why: support.ok ? '' : `needs network namespaces: ${support.reason}` });
      return false;
    }
    return true;
  });
  const bounds = boundsOf(options.settings);
  const rows: LabRow[] = [];
  const queue = [...runnable];
  const lanes = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, async () => {
    for (let next = queue.shift(); next && !options.signal?.aborted; next = queue.shift()) {
      options.onProgress?.({ type: 'start', scenario: next, capMs: bounds.capMs });
      const scenarioRows = await runScenario(next, methods, options, useNetns);
      rows.push(...scenarioRows);
      options.onProgress?.({ type: 'done', scenario: next, rows: scenarioRows });
    }
  });
  await Promise.all(lanes);
  const order = (r: LabRow): number => SCENARIOS.findIndex((s) => s.name === r.scenario) * 100 + METHODS.findIndex((m) => m.name === r.method);
  rows.sort((a, b) => order(a) - order(b));
  const cpus = os.cpus();
  return {
    startedAt,
    scale: options.scale ?? 'custom',
    settings: options.settings,
    bounds,
    machine: { kernel: os.release(), platform: `${process.platform}-${process.arch}`, node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown' },
    mode: useNetns ? 'netns' : 'loopback',
    skipped,
    rows,
  };
}
