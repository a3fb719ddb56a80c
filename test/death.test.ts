// classifyDeath: every code, number and Windows equivalent the issue names.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { classifyDeath, type DeathReason } from '../src/entry/main';

/** libuv's number for a code on this OS (what Node puts in err.errno). */
const uv = (code: string): number => [...getSystemErrorMap()].find(([, [name]]) => name === code)?.[0] as number;

describe('classifyDeath', () => {
  const table: Array<[unknown, DeathReason, string]> = [
    ['ECONNRESET', 'connection-reset', 'peer'],
    ['ECONNABORTED', 'connection-reset', 'peer'],
    ['ENETRESET', 'connection-reset', 'peer'],
    ['EPIPE', 'broken-pipe', 'peer'],
    ['EHOSTUNREACH', 'host-unreachable', 'kernel'],
    ['EHOSTDOWN', 'host-unreachable', 'kernel'],
    ['ENETUNREACH', 'network-unreachable', 'kernel'],
    ['ENETDOWN', 'network-unreachable', 'kernel'],
    ['EOF', 'peer-closed', 'peer'],
    ['ERR_SOCKET_CLOSED', 'local-destroy', 'local'],
    ['WSAETIMEDOUT', 'keepalive-timeout', 'kernel'],
    ['WSAECONNRESET', 'connection-reset', 'peer'],
    ['WSAECONNABORTED', 'connection-reset', 'peer'],
    ['WSAENETRESET', 'connection-reset', 'peer'],
    ['WSAEHOSTUNREACH', 'host-unreachable', 'kernel'],
    ['WSAEHOSTDOWN', 'host-unreachable', 'kernel'],
    ['WSAENETUNREACH', 'network-unreachable', 'kernel'],
    ['WSAENETDOWN', 'network-unreachable', 'kernel'],
    [10060, 'keepalive-timeout', 'kernel'],
    [10054, 'connection-reset', 'peer'],
    [10065, 'host-unreachable', 'kernel'],
    [-104, 'connection-reset', 'peer'],
    [-113, 'host-unreachable', 'kernel'],
    ['EWHATEVER', 'unknown', 'kernel'],
    [undefined, 'unknown', 'kernel'],
  ];
  it.each(table)('%s → %s (%s)', (input, reason, detectedBy) => {
    expect(classifyDeath(input)).toMatchObject({ reason, detectedBy });
  });

  it('accepts Node errors and keeps their code and errno', () => {
    const error = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    expect(classifyDeath(error)).toEqual({ reason: 'connection-reset', detectedBy: 'peer', code: 'ECONNRESET', errno: -104 });
  });

  it("gives libuv errno numbers for codes, this OS's errno numbers and libuv's", () => {
    const errno = uv('ETIMEDOUT');
    expect(errno).toBeLessThan(0);
    expect(classifyDeath('ETIMEDOUT')).toMatchObject({ code: 'ETIMEDOUT', errno });
    expect(classifyDeath(constants.errno.ETIMEDOUT)).toMatchObject({ code: 'ETIMEDOUT', errno });
    expect(classifyDeath(errno)).toMatchObject({ code: 'ETIMEDOUT', errno });
  });

  describe('ETIMEDOUT is split by the TCP_INFO sampled before the death', () => {
    it('unacknowledged data → retransmit-timeout', () => {
      expect(classifyDeath('ETIMEDOUT', { tcpInfo: { state: 'ESTABLISHED', unackedSegments: 4, probes: 0 } }).reason).toBe('retransmit-timeout');
      expect(classifyDeath('ETIMEDOUT', { tcpInfo: { state: 'ESTABLISHED', unackedSegments: 0, notSentBytes: 10 } }).reason).toBe('retransmit-timeout');
      expect(classifyDeath('ETIMEDOUT', { tcpInfo: { state: 'ESTABLISHED', bytesInFlight: 1000 } }).reason).toBe('retransmit-timeout');
    });
    it('idle with probes out → keepalive-timeout', () => {
      expect(classifyDeath('ETIMEDOUT', { tcpInfo: { state: 'ESTABLISHED', unackedSegments: 0, probes: 1 } }).reason).toBe('keepalive-timeout');
    });
    it('a failed connect is a retransmission (SYN) timeout', () => {
      expect(classifyDeath(Object.assign(new Error(), { code: 'ETIMEDOUT', syscall: 'connect' })).reason).toBe('retransmit-timeout');
    });
    it('with no snapshot, keep-alive off means the retransmission timer', () => {
      expect(classifyDeath('ETIMEDOUT', {
        keepAlive: { enabled: false, idle: 7200_000, interval: 75_000, count: 9, userTimeout: 0 },
      }).reason).toBe('retransmit-timeout');
      expect(classifyDeath('ETIMEDOUT').reason).toBe('keepalive-timeout');
    });
  });
});
