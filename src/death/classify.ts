/**
 * Why a connection died: typed reasons and the mapping from the errors the
 * OS and Node report to them.
 * @packageDocumentation
 */
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { errorName, invalidArgType, optionsObject, outOfRange } from '../common';
import type { KeepAliveSettings, TcpInfo } from '../socket';

/**
 * What happened, as far as this end can tell.
 * - `keepalive-timeout`: idle connection, keep-alive probes went unanswered (peer host down or path cut).
 * - `retransmit-timeout`: sent data stayed unacknowledged past the user timeout or tcp_retries2.
 * - `connection-reset`: the peer answered with RST (its host rebooted, its process aborted the connection).
 * - `host-unreachable`: an ICMP or neighbour (ARP/ND) failure says the peer host cannot be reached.
 * - `network-unreachable`: no route to the peer's network.
 * - `broken-pipe`: we wrote after the connection was already reset.
 * - `peer-closed`: the peer closed (FIN): its process exited or crashed.
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
  | 'local-destroy'
  | 'unknown';

/** Which mechanism noticed: the peer's own FIN/RST, the local kernel, or local code. */
export type DetectedBy = 'peer' | 'kernel' | 'local';

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

// Maps, not object literals: a code such as '__proto__' or 'constructor' must
// find nothing, not something inherited.
const BY_CODE: ReadonlyMap<string, DeathReason> = new Map<string, DeathReason>(Object.entries({
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
  ERR_SOCKET_CLOSED: 'local-destroy',
  ERR_STREAM_DESTROYED: 'local-destroy',
}) as Array<[string, DeathReason]>);

/** Winsock error numbers and names → the POSIX code Node uses. */
const WSA_CODES: Readonly<Record<string, string>> = {
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
const WSA: ReadonlyMap<string, string> = new Map([
  ...Object.entries(WSA_CODES),
  ...Object.values(WSA_CODES).map((code): [string, string] => [`WSA${code}`, code]),
]);

const DETECTED_BY: Readonly<Record<DeathReason, DetectedBy>> = {
  'keepalive-timeout': 'kernel',
  'retransmit-timeout': 'kernel',
  'connection-reset': 'peer',
  'host-unreachable': 'kernel',
  'network-unreachable': 'kernel',
  'broken-pipe': 'peer',
  'peer-closed': 'peer',
  'local-destroy': 'local',
  unknown: 'kernel',
};

/** POSIX numbers → names (this OS), and names → libuv's negative numbers (as Node reports them). */
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));
const uvErrnos = new Map<string, number>([...getSystemErrorMap()].map(([errno, [name]]) => [name, errno]));

/** A code from an errno number: libuv's negative ones, POSIX positive ones, Winsock's 100xx. */
function codeOfNumber(n: number): string | undefined {
  const wsa = WSA.get(String(n));
  if (wsa !== undefined) return wsa;
  if (n < 0) return errorName(n) ?? errnoNames.get(-n);
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
 * is 'unknown': any thrown value can be classified (of an object, only a
 * string `code` and an integer `errno` are used). Codes are looked up in the
 * library's own tables only: '__proto__' is just an unknown code.
 * @throws ERR_OUT_OF_RANGE for a number that is not an integer (NaN, 0.5);
 *   ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a `context` that is not
 *   a plain object, has a key other than tcpInfo, keepAlive, syscall, or a
 *   value of the wrong type.
 */
export function classifyDeath(errorOrCode: unknown, context?: DeathContext): Classification {
  const ctx = deathContext(context);
  let code: string | undefined;
  let errno: number | undefined;
  let syscall = ctx.syscall;
  if (typeof errorOrCode === 'number') {
    if (!Number.isInteger(errorOrCode)) throw outOfRange('errorOrCode', 'an integer (an errno number)', errorOrCode);
    code = codeOfNumber(errorOrCode);
    // libuv's own number where it has one; a POSIX number otherwise (ENETRESET).
    errno =
      errorOrCode < 0 ? errorOrCode : ((code ? errnoOfCode(code) : undefined) ?? (WSA.has(String(errorOrCode)) ? undefined : -errorOrCode));
  } else if (typeof errorOrCode === 'string') {
    code = WSA.get(errorOrCode) ?? errorOrCode;
  } else if (errorOrCode !== null && typeof errorOrCode === 'object') {
    const e = errorOrCode as { code?: unknown; errno?: unknown; syscall?: unknown };
    // A thrown value is read as it is: only a string code and an integer errno count.
    const ownErrno = typeof e.errno === 'number' && Number.isInteger(e.errno) ? e.errno : undefined;
    if (typeof e.code === 'string') code = WSA.get(e.code) ?? e.code;
    else if (ownErrno !== undefined) code = codeOfNumber(ownErrno);
    errno = ownErrno;
    if (syscall === undefined && typeof e.syscall === 'string') syscall = e.syscall;
  }
  if (code !== undefined && errno === undefined) errno = errnoOfCode(code);
  const reason: DeathReason =
    code === 'ETIMEDOUT' ? splitTimeout({ ...ctx, syscall }) : (code !== undefined ? BY_CODE.get(code) : undefined) ?? 'unknown';
  const result: Classification = { reason, detectedBy: DETECTED_BY[reason] };
  if (code !== undefined) result.code = code;
  if (errno !== undefined) result.errno = errno;
  return result;
}

const CONTEXT_KEYS: ReadonlySet<string> = new Set(['tcpInfo', 'keepAlive', 'syscall']);

/** Reads a {@link DeathContext} once, refusing unknown keys and wrong types. */
function deathContext(context: unknown): DeathContext {
  const c = optionsObject<DeathContext>('context', context, CONTEXT_KEYS, 'a death context key');
  for (const key of ['tcpInfo', 'keepAlive'] as const) {
    const value = c[key];
    if (value !== undefined && (value === null || typeof value !== 'object')) throw invalidArgType(`context.${key}`, 'of type object', value);
  }
  if (c.syscall !== undefined && typeof c.syscall !== 'string') throw invalidArgType('context.syscall', 'of type string', c.syscall);
  return c as DeathContext;
}

