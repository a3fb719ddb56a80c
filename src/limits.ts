/**
 * The valid range of every keep-alive option per OS, in the units of the
 * public API (milliseconds, probes). The kernel's own units and ranges are
 * in the comments; validation happens here, before any syscall, so an
 * invalid call changes nothing.
 * @packageDocumentation
 */

/** An inclusive range. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** The ranges the options accept on one OS; `undefined` = the OS has no such option. */
export interface PlatformLimits {
  /** Name used in messages, e.g. 'Linux'. */
  readonly name: string;
  /** Idle time before the first probe, ms (rounded up to whole seconds). */
  readonly idle?: Range;
  /** Time between probes, ms (rounded up to whole seconds). */
  readonly interval?: Range;
  /** Unanswered probes before the connection is dropped. */
  readonly count?: Range;
  /** Give-up time for unacknowledged data (and probes), ms; 0 = system default where allowed. */
  readonly userTimeout?: Range;
  /** Whether userTimeout is applied in whole seconds (rounded up). */
  readonly userTimeoutInSeconds: boolean;
}

const SECOND = 1000;
const INT32_MAX = 2 ** 31 - 1;

/** Ranges per `process.platform`. */
export const PLATFORM_LIMITS: Readonly<Record<string, PlatformLimits>> = {
  // net/ipv4/tcp.c: MAX_TCP_KEEPIDLE = MAX_TCP_KEEPINTVL = 32767 s, MAX_TCP_KEEPCNT = 127;
  // TCP_USER_TIMEOUT takes a non-negative int of milliseconds.
  linux: {
    name: 'Linux',
    idle: { min: 1, max: 32767 * SECOND },
    interval: { min: 1, max: 32767 * SECOND },
    count: { min: 1, max: 127 },
    userTimeout: { min: 0, max: INT32_MAX },
    userTimeoutInSeconds: false,
  },
  // xnu bsd/netinet/tcp_usrreq.c: times in seconds, at most UINT32_MAX / TCP_RETRANSHZ;
  // TCP_RXT_CONNDROPTIME is in seconds too (0 = default).
  darwin: {
    name: 'macOS',
    idle: { min: 1, max: 4294967 * SECOND },
    interval: { min: 1, max: 4294967 * SECOND },
    count: { min: 1, max: INT32_MAX },
    userTimeout: { min: 0, max: 4294967 * SECOND },
    userTimeoutInSeconds: true,
  },
  // sys/netinet/tcp_usrreq.c: seconds, at most INT_MAX / hz (hz = 1000); no user timeout.
  freebsd: {
    name: 'FreeBSD',
    idle: { min: 1, max: 2147483 * SECOND },
    interval: { min: 1, max: 2147483 * SECOND },
    count: { min: 1, max: INT32_MAX },
    userTimeout: undefined,
    userTimeoutInSeconds: true,
  },
  // TCP_KEEPIDLE/TCP_KEEPINTVL are DWORD seconds, TCP_KEEPCNT at most 255;
  // SIO_KEEPALIVE_VALS takes ULONG milliseconds. TCP_MAXRT is seconds and
  // has no "system default" value to return to, hence min 1 s.
  win32: {
    name: 'Windows',
    idle: { min: 1, max: 4294967 * SECOND },
    interval: { min: 1, max: 4294967 * SECOND },
    count: { min: 1, max: 255 },
    userTimeout: { min: 1, max: 2147483 * SECOND },
    userTimeoutInSeconds: true,
  },
};

/** Limits of the OS this process runs on; an OS not listed supports nothing. */
export function currentLimits(platform: string = process.platform): PlatformLimits {
  return PLATFORM_LIMITS[platform] ?? { name: platform, userTimeoutInSeconds: true };
}
