/**
 * A normalized snapshot of the kernel's view of a TCP connection.
 * @packageDocumentation
 */
import { nativeCall, throwIfFailed } from './native-call';
import { connectedFd, type SocketLike } from './socket-handle';

/** TCP states, named as in RFC 793 / netstat. */
export type TcpState =
  | 'UNKNOWN'
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSED'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING';

const STATES: readonly TcpState[] = [
  'UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2',
  'TIME_WAIT', 'CLOSED', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
];

/**
 * From TCP_INFO (Linux), TCP_CONNECTION_INFO (macOS), SIO_TCP_INFO (Windows).
 * Units are in the names (`Us` microseconds, `Ms` milliseconds, `AgoMs`
 * milliseconds before the snapshot). A field the OS does not report is
 * **absent**, never 0. Linux reports all but `bytesInFlight` and `timeoutEpisodes`.
 */
export interface TcpInfo {
  /** Connection state. */
  state: TcpState;
  /** Smoothed round-trip time, µs. */
  rttUs?: number;
  /** Round-trip time variance (mean deviation), µs. */
  rttVarianceUs?: number;
  /** Minimum round-trip time seen, µs. */
  minRttUs?: number;
  /** Current retransmission timeout, µs. */
  rtoUs?: number;
  /** Consecutive retransmissions of the oldest unacknowledged segment (resets on ACK). */
  retransmits?: number;
  /** Unanswered keep-alive (or zero-window) probes sent so far. */
  probes?: number;
  /** Exponential backoff applied to the RTO. */
  backoff?: number;
  /** Segments sent and not yet acknowledged. */
  unackedSegments?: number;
  /** Segments considered lost. */
  lostSegments?: number;
  /** Segments retransmitted over the connection's lifetime. */
  totalRetransmits?: number;
  /** Bytes retransmitted over the connection's lifetime. */
  bytesRetransmitted?: number;
  /** Bytes sent and not yet acknowledged. */
  bytesInFlight?: number;
  /** Retransmission timeouts over the connection's lifetime. */
  timeoutEpisodes?: number;
  /** ms since data was last sent. */
  lastDataSentAgoMs?: number;
  /** ms since data was last received. */
  lastDataReceivedAgoMs?: number;
  /** ms since an ACK was last received (keep-alive counts from here). */
  lastAckReceivedAgoMs?: number;
  /** Bytes written by the application and not yet sent. */
  notSentBytes?: number;
  /** Sender maximum segment size, bytes. */
  sendMss?: number;
  /** Congestion window (segments on Linux, bytes on macOS and Windows). */
  congestionWindow?: number;
}

/** Index in the native array (enum tk_info_field) → field name, state excluded. */
const FIELDS: ReadonlyArray<[index: number, name: Exclude<keyof TcpInfo, 'state'>]> = [
  [1, 'rttUs'],
  [2, 'rttVarianceUs'],
  [3, 'rtoUs'],
  [4, 'retransmits'],
  [5, 'probes'],
  [6, 'backoff'],
  [7, 'unackedSegments'],
  [8, 'lostSegments'],
  [9, 'totalRetransmits'],
  [10, 'lastDataSentAgoMs'],
  [11, 'lastDataReceivedAgoMs'],
  [12, 'lastAckReceivedAgoMs'],
  [13, 'notSentBytes'],
  [14, 'sendMss'],
  [15, 'congestionWindow'],
  [16, 'bytesInFlight'],
  [17, 'bytesRetransmitted'],
  [18, 'timeoutEpisodes'],
  [19, 'minRttUs'],
];

type Builder = (scratch: Float64Array, states: readonly TcpState[]) => TcpInfo;
const builders = new Map<number, Builder>();

/**
 * A function that builds the snapshot object for one set of present fields,
 * as a single object literal: the set is fixed per OS and kernel, so this is
 * made once, and the object gets one stable shape instead of growing field by
 * field (which cost ~1 µs per snapshot).
 */
function builderFor(present: number): Builder {
  let builder = builders.get(present);
  if (builder === undefined) {
    const state = present & 1 ? 'states[scratch[4]] ?? "UNKNOWN"' : '"UNKNOWN"';
    const fields = FIELDS.filter(([index]) => present & (1 << index)).map(([index, name]) => `${name}: scratch[${4 + index}]`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    builder = new Function('scratch', 'states', `return { state: ${state}, ${fields.join(', ')} };`) as Builder;
    builders.set(present, builder);
  }
  return builder;
}

/**
 * Takes a snapshot of the connection's TCP state from the kernel.
 * @param socket - a connected net.Socket / tls.TLSSocket, or a raw TCP descriptor.
 */
export function getTcpInfo(socket: SocketLike): TcpInfo {
  const fd = connectedFd(socket);
  const { native, scratch } = nativeCall();
  const kind = native.tcpInfo(fd);
  throwIfFailed(scratch, kind, fd);
  return builderFor(scratch[3])(scratch, STATES);
}
