/**
 * Runs the comparison: every chosen scenario against every chosen method,
 * each scenario in its own pair of namespaces (or on loopback), and collects
 * who noticed, how fast and with which error.
 * @packageDocumentation
 */
import * as os from 'node:os';
import type { DeathReport } from '../death';
import type { Actor } from './actor';
import { METHODS, type Method, type MethodName } from './methods';
import { TestNetwork, netnsSupport } from './netns';
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios';
import { boundsOf, type Bounds, type LabSettings } from './settings';
import { startChannelPeer, startClient } from './start';

/** One cell of the comparison. */
export interface LabRow {
  scenario: ScenarioName;
  method: MethodName;
  /** Death reported within the cap. */
  detected: boolean;
  /** From the fault to the report, ms. */
  detectedAfter: number | null;
  /** From the last ACK the client received to the report, ms. */
  afterLastAck: number | null;
  /** The theoretical bound, ms; null when the method cannot detect this fault. */
  bound: number | null;
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
  | { type: 'start'; scenario: Scenario; cap: number }
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
      methods.map((m) => startClient(network, { ...m.client(settings), host: peer.host, port: peer.port, watchSampleInterval: 250 })),
    );
    actors.push(...clients);
    await sleep(settings.warmup, signal);
    if (scenario.clientSends) for (const c of clients) c.send({ cmd: 'write-every', ms: 100, bytes: 100 });
    await sleep(300, signal);
    const early = clients.map((c) => c.has('dead'));
    options.onProgress?.({ type: 'fault', scenario });
    // Times count from when the fault is in place (a reboot takes a moment).
    await scenario.fault({ network, peer: peer.actor, bounds });
    const faultAt = Date.now();
    // Watch until every method that can detect has, or the cap.
    const canDetect = methods.map((m) => scenario.bound(m.name, bounds, settings) !== null);
    while (!signal?.aborted && Date.now() - faultAt < bounds.cap) {
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
        detectedAfter: detected && report ? report.at - faultAt : null,
        afterLastAck: detected && report && lastAckAt !== undefined ? report.at - lastAckAt : null,
        bound: scenario.bound(m.name, bounds, settings),
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
  // Asked for by name, a method the running Node lacks is the caller's error
  // (the CLI says so); by default it is left out.
  const methods = METHODS.filter((m) => (options.methods ? options.methods.includes(m.name) : m.unavailable?.() === undefined));
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
      options.onProgress?.({ type: 'start', scenario: next, cap: bounds.cap });
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
