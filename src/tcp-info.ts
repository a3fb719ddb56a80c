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

/**
 * Builds the snapshot from the scratch (scratch[3]: presence bits by enum
 * tk_info_field; scratch[4 + i]: field i). Named stores in one fixed order:
 * every snapshot with the same fields (fixed per OS and kernel) shares one
 * object shape, and no code is generated at run time (which
 * --disallow-code-generation-from-strings forbids). Adding fields one by one
 * by computed name instead costs ~10× more: V8 turns such an object into a
 * dictionary.
 */
function build(s: Float64Array): TcpInfo {
  const p = s[3] as number;
  const info: TcpInfo = { state: p & 1 ? (STATES[s[4] as number] ?? 'UNKNOWN') : 'UNKNOWN' };
  if (p & (1 << 1)) info.rttUs = s[5] as number;
  if (p & (1 << 2)) info.rttVarianceUs = s[6] as number;
  if (p & (1 << 3)) info.rtoUs = s[7] as number;
  if (p & (1 << 4)) info.retransmits = s[8] as number;
  if (p & (1 << 5)) info.probes = s[9] as number;
  if (p & (1 << 6)) info.backoff = s[10] as number;
  if (p & (1 << 7)) info.unackedSegments = s[11] as number;
  if (p & (1 << 8)) info.lostSegments = s[12] as number;
  if (p & (1 << 9)) info.totalRetransmits = s[13] as number;
  if (p & (1 << 10)) info.lastDataSentAgoMs = s[14] as number;
  if (p & (1 << 11)) info.lastDataReceivedAgoMs = s[15] as number;
  if (p & (1 << 12)) info.lastAckReceivedAgoMs = s[16] as number;
  if (p & (1 << 13)) info.notSentBytes = s[17] as number;
  if (p & (1 << 14)) info.sendMss = s[18] as number;
  if (p & (1 << 15)) info.congestionWindow = s[19] as number;
  if (p & (1 << 16)) info.bytesInFlight = s[20] as number;
  if (p & (1 << 17)) info.bytesRetransmitted = s[21] as number;
  if (p & (1 << 18)) info.timeoutEpisodes = s[22] as number;
  if (p & (1 << 19)) info.minRttUs = s[23] as number;
  return info;
}

/**
 * Takes a snapshot of the connection's TCP state from the kernel.
 * @param socket - a connected net.Socket / tls.TLSSocket, or a raw TCP descriptor.
 */
export function getTcpInfo(socket: SocketLike): TcpInfo {
  const fd = connectedFd(socket);
  const { native, scratch } = nativeCall();
  const kind = native.tcpInfo(fd, scratch);
  throwIfFailed(scratch, kind, fd);
  return build(scratch);
}
