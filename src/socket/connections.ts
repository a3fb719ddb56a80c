/**
 * The TCP connections of this machine (its network namespace), as the
 * kernel lists them through sock_diag — what `ss` reads: state, TCP_INFO and
 * the pending timer of any connection, whoever owns it, without touching its
 * socket. Linux only.
 * @packageDocumentation
 */
import { integerArg, libraryError, optionsObject, systemError } from '../common';
import { DIAG_TIMERS, binding, tcpInfoFromScratch, type DiagTimer, type TcpInfo } from '../native';

/** Which connections: by local and remote port, as `ss sport = :N dport = :M` filters. */
export interface ConnectionFilter {
  /** Local port (1..65535); any when absent. */
  localPort?: number;
  /** Remote port (1..65535); any when absent. */
  remotePort?: number;
}

/** The timer the kernel has pending for a connection. */
export interface ConnectionTimer {
  kind: Exclude<DiagTimer, 'none'>;
  /** Until it fires, ms. */
  expiresInMs: number;
  /** Retransmissions ('retransmit') or unanswered probes ('keepalive', 'zero-window-probe') so far. */
  count: number;
}

/** One TCP connection of this machine. */
export interface MachineConnection {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The timer pending, if any: a 'keepalive' timer means SO_KEEPALIVE is on. */
  timer: ConnectionTimer | undefined;
  /** The owner's user id. */
  uid: number;
  /** The socket's inode (`ss -e`'s ino). */
  inode: number;
  /** The kernel's TCP_INFO for it (only `state` for TIME_WAIT and half-open requests). */
  info: TcpInfo;
}

const FILTER_KEYS: ReadonlySet<string> = new Set(['localPort', 'remotePort']);

/**
 * Lists the TCP connections of this network namespace that match `filter`,
 * IPv4 then IPv6 (listening sockets included, remote port 0). Throws
 * ERR_TCP_KEEPALIVE_UNSUPPORTED off Linux, and a system error (`syscall`
 * 'recvmsg', `option` 'NETLINK_SOCK_DIAG') when the kernel refuses.
 */
export function tcpConnections(filter?: ConnectionFilter): MachineConnection[] {
  const f = optionsObject<ConnectionFilter>('filter', filter, FILTER_KEYS, 'a connection filter');
  const localPort = f.localPort === undefined ? 0 : integerArg('filter.localPort', f.localPort, 1, 65535, '');
  const remotePort = f.remotePort === undefined ? 0 : integerArg('filter.remotePort', f.remotePort, 1, 65535, '');
  const diag = binding().diagTcp;
  if (diag === undefined) throw libraryError('ERR_TCP_KEEPALIVE_UNSUPPORTED', `Listing the machine's connections needs Linux's sock_diag; this is ${process.platform}`);
  const found = diag(localPort, remotePort);
  if (typeof found === 'number') throw systemError(found, 'recvmsg', 'NETLINK_SOCK_DIAG');
  return found.map((e) => {
    const kind = DIAG_TIMERS[e.timer] ?? 'none';
    return {
      family: e.family,
      localAddress: e.localAddress,
      localPort: e.localPort,
      remoteAddress: e.remoteAddress,
      remotePort: e.remotePort,
      timer: kind === 'none' ? undefined : { kind, expiresInMs: e.timerExpiresMs, count: e.timerRetransmits },
      uid: e.uid,
      inode: e.inode,
      info: tcpInfoFromScratch(e.info),
    };
  });
}
