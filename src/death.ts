/**
 * Why a connection died: typed reasons and the mapping from the errors the
 * OS and Node report to them.
 * @packageDocumentation
 */
import { constants } from 'node:os';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import type { KeepAliveSettings } from './keepalive';
import type { TcpInfo } from './tcp-info';
import { invalidArgType } from './errors';

/**
 * What happened, as far as this end can tell.
 * - `keepalive-timeout`: idle connection, keep-alive probes went unanswered (peer host down or path cut).
 * - `retransmit-timeout`: sent data stayed unacknowledged past the user timeout or tcp_retries2.
 * - `connection-reset`: the peer answered with RST (its host rebooted, its process aborted the connection).
 * - `host-unreachable`: an ICMP or neighbour (ARP/ND) failure says the peer host cannot be reached.
 * - `network-unreachable`: no route to the peer's network.
 * - `broken-pipe`: we wrote after the connection was already reset.
 * - `peer-closed`: the peer closed (FIN): its process exited or crashed.
 * - `heartbeat-timeout`: the application heartbeat got no answer within its bound.
 * - `local-destroy`: this side closed the socket.
 * - `unknown`: an error this library does not recognize.
 */
export type DeathReason =
  | 'keepalive-timeout'
  | 'retransmit-timeout'
  | 'connection-reset'
  | 'host-unreachable'
  | 'network-unreachable'
  | 'broken-pipe'
  | 'peer-closed'
  | 'heartbeat-timeout'
  | 'local-destroy'
  | 'unknown';

/** Which mechanism noticed: the peer's own FIN/RST, the local kernel, the heartbeat, or local code. */
export type DetectedBy = 'peer' | 'kernel' | 'heartbeat' | 'local';

/** What {@link classifyDeath} may use to split ETIMEDOUT. */
export interface DeathContext {
  /** A TCP_INFO snapshot taken before the death (Node closes the fd before it emits 'error'). */
  tcpInfo?: TcpInfo;
  /** The keep-alive settings in force. */
  keepAlive?: KeepAliveSettings;
  /** The syscall that failed ('read', 'write', 'connect'), when known. */
  syscall?: string;
}

/** The outcome of {@link classifyDeath}. */
export interface Classification {
  reason: DeathReason;
  detectedBy: DetectedBy;
  /** Node's code ('ETIMEDOUT'), or undefined when there was no error code. */
  code?: string;
  /** libuv's negative errno, when known. */
  errno?: number;
}

const BY_CODE: Readonly<Record<string, DeathReason>> = {
  ECONNRESET: 'connection-reset',
  ECONNABORTED: 'connection-reset',
  // Windows reports a keep-alive or retransmission failure on calls in
  // progress as WSAENETRESET; without TCP_INFO it reads as a reset.
  ENETRESET: 'connection-reset',
  EPIPE: 'broken-pipe',
  EHOSTUNREACH: 'host-unreachable',
  EHOSTDOWN: 'host-unreachable',
  ENETUNREACH: 'network-unreachable',
  ENETDOWN: 'network-unreachable',
  EOF: 'peer-closed',
  ERR_HEARTBEAT_TIMEOUT: 'heartbeat-timeout',
  ERR_SOCKET_CLOSED: 'local-destroy',
  // The channel ended a connection whose peer broke the protocol.
  ERR_HEARTBEAT_PROTOCOL: 'local-destroy',
  ERR_STREAM_DESTROYED: 'local-destroy',
};

/** Winsock error numbers and names → the POSIX code Node uses. */
const WSA: Readonly<Record<string, string>> = {
  '10060': 'ETIMEDOUT',
  '10054': 'ECONNRESET',
  '10053': 'ECONNABORTED',
  '10052': 'ENETRESET',
  '10058': 'EPIPE', // WSAESHUTDOWN: send after shutdown
  '10065': 'EHOSTUNREACH',
  '10064': 'EHOSTDOWN',
  '10051': 'ENETUNREACH',
  '10050': 'ENETDOWN',
};
for (const code of Object.values(WSA)) (WSA as Record<string, string>)[`WSA${code}`] = code;

const DETECTED_BY: Readonly<Record<DeathReason, DetectedBy>> = {
  'keepalive-timeout': 'kernel',
  'retransmit-timeout': 'kernel',
  'connection-reset': 'peer',
  'host-unreachable': 'kernel',
  'network-unreachable': 'kernel',
  'broken-pipe': 'peer',
  'peer-closed': 'peer',
  'heartbeat-timeout': 'heartbeat',
  'local-destroy': 'local',
  unknown: 'kernel',
};

/** POSIX numbers → names (this OS), and names → libuv's negative numbers (as Node reports them). */
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));
const uvErrnos = new Map<string, number>([...getSystemErrorMap()].map(([errno, [name]]) => [name, errno]));

/** A code from an errno number: libuv's negative ones, POSIX positive ones, Winsock's 100xx. */
function codeOfNumber(n: number): string | undefined {
  if (WSA[String(n)]) return WSA[String(n)];
  if (n < 0) {
    try {
      const name = getSystemErrorName(n);
      if (!name.startsWith('Unknown')) return name;
    } catch {
      // not a libuv number
    }
    return errnoNames.get(-n);
  }
  return errnoNames.get(n);
}

function errnoOfCode(code: string): number | undefined {
  return uvErrnos.get(code);
}

/**
 * Splits ETIMEDOUT: data unacknowledged (or being retransmitted) before the
 * death means the retransmission timer gave up; an idle connection with
 * keep-alive means the probes did.
 */
function splitTimeout(context: DeathContext | undefined): DeathReason {
  if (context?.syscall === 'connect') return 'retransmit-timeout';
  const info = context?.tcpInfo;
  if (info) {
    if ((info.unackedSegments ?? 0) > 0 || (info.notSentBytes ?? 0) > 0 || (info.bytesInFlight ?? 0) > 0) {
      return 'retransmit-timeout';
    }
    if ((info.probes ?? 0) > 0) return 'keepalive-timeout';
    if ((info.retransmits ?? 0) > 0 || (info.backoff ?? 0) > 0) return 'retransmit-timeout';
  }
  return context?.keepAlive?.enabled === false ? 'retransmit-timeout' : 'keepalive-timeout';
}

/**
 * Maps an error, a code ('ETIMEDOUT', 'WSAECONNRESET') or an errno number
 * (libuv's negative, POSIX positive, or Winsock's) to a {@link DeathReason}
 * and the mechanism that noticed.
 *
 * ETIMEDOUT is split by `context.tcpInfo` (sampled before the death):
 * unacknowledged data → 'retransmit-timeout', keep-alive probes out →
 * 'keepalive-timeout'. Without a snapshot it is 'keepalive-timeout' unless
 * `context.keepAlive` says keep-alive was off. Anything that is not an
 * error, a code or a number (undefined, a plain object without code/errno)
 * is 'unknown': any thrown value can be classified.
 * @throws ERR_INVALID_ARG_TYPE if `context` is given and not an object.
 */
export function classifyDeath(errorOrCode: unknown, context?: DeathContext): Classification {
  if (context !== undefined && (context === null || typeof context !== 'object')) throw invalidArgType('context', 'of type object', context);
  let code: string | undefined;
  let errno: number | undefined;
  let syscall = context?.syscall;
  if (typeof errorOrCode === 'number') {
    code = codeOfNumber(errorOrCode);
    // libuv's own number where it has one; a POSIX number otherwise (ENETRESET).
    errno = errorOrCode < 0 ? errorOrCode : (code ? errnoOfCode(code) : undefined) ?? (WSA[String(errorOrCode)] ? undefined : -errorOrCode);
  } else if (typeof errorOrCode === 'string') {
    code = WSA[errorOrCode] ?? errorOrCode;
  } else if (errorOrCode !== null && typeof errorOrCode === 'object') {
    const e = errorOrCode as { code?: unknown; errno?: unknown; syscall?: unknown };
    if (typeof e.code === 'string') code = WSA[e.code] ?? e.code;
    else if (typeof e.errno === 'number') code = codeOfNumber(e.errno);
    if (typeof e.errno === 'number') errno = e.errno;
    if (syscall === undefined && typeof e.syscall === 'string') syscall = e.syscall;
  }
  if (code !== undefined && errno === undefined) errno = errnoOfCode(code);
  const reason: DeathReason =
    code === 'ETIMEDOUT' ? splitTimeout({ ...context, syscall }) : (code !== undefined && BY_CODE[code]) || 'unknown';
  const result: Classification = { reason, detectedBy: DETECTED_BY[reason] };
  if (code !== undefined) result.code = code;
  if (errno !== undefined) result.errno = errno;
  return result;
}

/** The mechanism that detects each reason. */
export function detectedByFor(reason: DeathReason): DetectedBy {
  return DETECTED_BY[reason];
}
