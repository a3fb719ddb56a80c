/**
 * The ways a peer dies, how the lab injects each, and which methods can
 * notice it within which bound.
 * @packageDocumentation
 */
import type { Actor } from './actor';
import type { MethodName } from './methods';
import type { TestNetwork } from './netns';
import type { Bounds, LabSettings } from './settings';

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
  m === 'node' ? b.node : m === 'node-full' || m === 'keepalive' || m === 'keepalive-ut' || m === 'heartbeat-keepalive' ? b.keepAlive : null;

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
          : m === 'node-full' || m === 'keepalive' || m === 'keepalive-ut'
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
    fault: ({ network, bounds }) => network?.cutPathFor(bounds.transientOutage),
  },
];
