// Generated from native/tcp_keepalive.h by scripts/gen-contract.mjs: do not edit.
// Change the header, then run `npm run contract`; test/contract.test.ts fails
// while this file and the header differ.
/* eslint-disable */

/** What scratch[Slot.STATUS] says after a call. */
export const Status = {
  /** the call succeeded */
  OK: 0,
  /** the OS refused: errno in TK_SLOT_ERRNO, the OS's own number in TK_SLOT_OS_ERROR */
  OS_ERROR: 1,
  /** the descriptor is a socket of another kind */
  NOT_TCP: 2,
  /** this OS has no such option */
  UNSUPPORTED: 3,
  /** idle and interval must be set together here */
  TIMES_TOGETHER: 4,
} as const;

/** Bits of a keep-alive request or read-back mask. */
export const Field = {
  /** SO_KEEPALIVE */
  ENABLE: 1,
  /** the idle time */
  IDLE: 2,
  /** the probe interval */
  INTERVAL: 4,
  /** the probe count */
  COUNT: 8,
  /** the user timeout */
  USER_TIMEOUT: 16,
  /** read-back only: count is the OS's fixed value (Windows SIO_KEEPALIVE_VALS: 10) */
  COUNT_FIXED: 32,
  /** read-back only: idle/interval cannot be read back (set through SIO_KEEPALIVE_VALS) */
  TIMES_UNVERIFIED: 64,
  /** request only: apply, skip the read-back (the slots keep the request) */
  NO_READBACK: 128,
  /** request only: the caller knows it is TCP (Node's own TCP handle): no SO_PROTOCOL check */
  TCP_KNOWN: 256,
} as const;

/** Indexes into the scratch. */
export const Slot = {
  /** enum tk_status */
  STATUS: 0,
  /** libuv's errno (negative), on an OS error */
  ERRNO: 1,
  /** enum tk_op: the step that failed */
  OP: 2,
  /** the OS's own error number, on an OS error */
  OS_ERROR: 3,
  /** apply and read: enum tk_field bits */
  MASK: 3,
  /** apply and read: 1 or 0 */
  ENABLED: 4,
  /** apply and read: ms */
  IDLE: 5,
  /** apply and read: ms */
  INTERVAL: 6,
  /** apply and read: probes */
  COUNT: 7,
  /** apply and read: ms */
  USER_TIMEOUT: 8,
  /** socketError: libuv's errno, 0 when none */
  PENDING_ERRNO: 3,
  /** pending: 1 when an error is pending */
  HAS_ERROR: 3,
  /** pending: bytes readable */
  READABLE: 4,
  /** tcpInfo: bits by enum tk_info_field */
  PRESENT: 3,
  /** tcpInfo: the values, one per enum tk_info_field */
  INFO: 4,
} as const;

/** TCP states, normalized across OSes, named as in RFC 793 / netstat. */
export const TCP_STATES = ['UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSED', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'] as const;

/** A TCP state, named as in RFC 793 / netstat. */
export type TcpState = (typeof TCP_STATES)[number];

/** The timers sock_diag reports for a connection, indexed by the kernel's idiag_timer. */
export const DIAG_TIMERS = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'] as const;

/** A connection's pending timer, as sock_diag reports it. */
export type DiagTimer = (typeof DIAG_TIMERS)[number];

/**
 * A normalized snapshot of the kernel's view of a TCP connection, from
 * TCP_INFO (Linux), TCP_CONNECTION_INFO (macOS), SIO_TCP_INFO (Windows). Times
 * are milliseconds unless the name says otherwise (`Us`: microseconds); `Ago`
 * means before the snapshot. A field the OS does not report is **absent**,
 * never 0.
 */
export interface TcpInfo {
  /** Connection state. */
  state: TcpState;
  /** Smoothed round-trip time, µs. */
  rttUs?: number;
  /** Round-trip time variance (mean deviation), µs. */
  rttVarianceUs?: number;
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
  /** Time since data was last sent, ms. */
  lastDataSentAgo?: number;
  /** Time since data was last received, ms. */
  lastDataReceivedAgo?: number;
  /** Time since an ACK was last received (keep-alive counts from here), ms. */
  lastAckReceivedAgo?: number;
  /** Bytes written by the application and not yet sent. */
  notSentBytes?: number;
  /** Sender maximum segment size, bytes. */
  sendMss?: number;
  /** Congestion window (segments on Linux, bytes on macOS and Windows). */
  congestionWindow?: number;
  /** Bytes sent and not yet acknowledged. */
  bytesInFlight?: number;
  /** Bytes retransmitted over the connection's lifetime. */
  bytesRetransmitted?: number;
  /** Retransmission timeouts over the connection's lifetime. */
  timeoutEpisodes?: number;
  /** Minimum round-trip time seen, µs. */
  minRttUs?: number;
}

/**
 * The snapshot in the scratch after a tcpInfo call. Named stores in one fixed
 * order: every snapshot with the same fields (fixed per OS and kernel) shares
 * one object shape, and nothing is generated at run time.
 */
export function tcpInfoFromScratch(s: Float64Array): TcpInfo {
  const p = s[3];
  const info: TcpInfo = { state: p & 1 ? (TCP_STATES[s[4]] ?? 'UNKNOWN') : 'UNKNOWN' };
  if (p & 2) info.rttUs = s[5];
  if (p & 4) info.rttVarianceUs = s[6];
  if (p & 8) info.rtoUs = s[7];
  if (p & 16) info.retransmits = s[8];
  if (p & 32) info.probes = s[9];
  if (p & 64) info.backoff = s[10];
  if (p & 128) info.unackedSegments = s[11];
  if (p & 256) info.lostSegments = s[12];
  if (p & 512) info.totalRetransmits = s[13];
  if (p & 1024) info.lastDataSentAgo = s[14];
  if (p & 2048) info.lastDataReceivedAgo = s[15];
  if (p & 4096) info.lastAckReceivedAgo = s[16];
  if (p & 8192) info.notSentBytes = s[17];
  if (p & 16384) info.sendMss = s[18];
  if (p & 32768) info.congestionWindow = s[19];
  if (p & 65536) info.bytesInFlight = s[20];
  if (p & 131072) info.bytesRetransmitted = s[21];
  if (p & 262144) info.timeoutEpisodes = s[22];
  if (p & 524288) info.minRttUs = s[23];
  return info;
}

/** What a binary built from this contract reports at load (a stale binary differs). */
export const CONTRACT = { scratchLength: 24, infoFields: 20, states: 12, ops: 16 } as const;
