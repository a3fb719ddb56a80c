/**
 * The instruments, named and united in OpenTelemetry's semantic-convention
 * style (dot-separated lower case, UCUM units, durations in seconds). The
 * one list: docs/API.md shows it and a test checks the two agree.
 * @packageDocumentation
 */

/** What each instrument is. */
export interface InstrumentSpec {
  kind: 'counter' | 'histogram' | 'observableCounter' | 'observableUpDownCounter';
  unit: string;
  description: string;
  attributes: readonly string[];
  /** Histogram bucket boundaries (the SDK's default ones are for milliseconds). */
  buckets?: readonly number[];
}

export const INSTRUMENTS = {
  'tcp_keepalive.connection.protected': {
    kind: 'observableCounter',
    unit: '{connection}',
    description: 'Connections the process-wide policy applied its keep-alive to',
    attributes: ['tcp_keepalive.found_by'],
  },
  'tcp_keepalive.connection.watched': {
    kind: 'observableUpDownCounter',
    unit: '{connection}',
    description: 'Sockets watched for death now',
    attributes: [],
  },
  'tcp_keepalive.heartbeat.active': {
    kind: 'observableUpDownCounter',
    unit: '{heartbeat}',
    description: 'Application heartbeats running now',
    attributes: [],
  },
  'tcp_keepalive.connection.deaths': {
    kind: 'counter',
    unit: '{death}',
    description: 'Connection deaths, each counted once, by the mechanism that found it',
    attributes: ['tcp_keepalive.death.reason', 'tcp_keepalive.death.detected_by'],
  },
  'tcp_keepalive.death.detection_time': {
    kind: 'histogram',
    unit: 's',
    description: 'Time from the last byte received to the death being reported',
    attributes: ['tcp_keepalive.death.reason', 'tcp_keepalive.death.detected_by'],
    // From a heartbeat's seconds to Linux's default keep-alive (2 h 11 min).
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 7200, 10800],
  },
  'tcp_keepalive.heartbeat.rtt': {
    kind: 'histogram',
    unit: 's',
    description: 'Heartbeat round-trip time, from PONGs echoing a PING',
    attributes: [],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  'tcp_keepalive.keepalive.repaired': {
    kind: 'observableCounter',
    unit: '{repair}',
    description: "Times Node's own setKeepAlive changed a protected socket and the policy put its settings back",
    attributes: [],
  },
} as const satisfies Record<string, InstrumentSpec>;

/** The name of an instrument. */
export type InstrumentName = keyof typeof INSTRUMENTS;
