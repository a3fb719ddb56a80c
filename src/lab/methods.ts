/**
 * The ways of noticing a dead peer the lab compares, each run by a client
 * actor with its own connection.
 * @packageDocumentation
 */
import * as net from 'node:net';
import type { ClientConfig } from './actors/client';
import type { LabSettings } from './settings';

export type MethodName = 'none' | 'node' | 'node-full' | 'keepalive' | 'keepalive-ut' | 'heartbeat' | 'heartbeat-keepalive';

/** One way of noticing a dead peer. */
export interface Method {
  name: MethodName;
  title: string;
  client(s: LabSettings): Omit<ClientConfig, 'host' | 'port'>;
  /** Why the running Node cannot use this method; undefined when it can. */
  unavailable?(): string | undefined;
}

/**
 * Node 24.21+ and 26.4+ take `setKeepAlive(enable, initialDelay, interval,
 * count)`; earlier lines declare two parameters and ignore the rest.
 */
export const NODE_HAS_FULL_KEEPALIVE = net.Socket.prototype.setKeepAlive.length >= 4;

export const METHODS: readonly Method[] = [
  { name: 'none', title: "no keep-alive (Node's default)", client: () => ({}) },
  { name: 'node', title: "Node's socket.setKeepAlive(true, idle)", client: (s) => ({ nodeKeepAlive: s.nodeIdle }) },
  {
    name: 'node-full',
    title: "Node's socket.setKeepAlive(true, idle, interval, count)",
    client: (s) => ({ nodeKeepAliveFull: { idle: s.keepAlive.idle, interval: s.keepAlive.interval, count: s.keepAlive.count } }),
    unavailable: () => (NODE_HAS_FULL_KEEPALIVE ? undefined : `needs Node 24.21+ or 26.4+ (this is ${process.version})`),
  },
  { name: 'keepalive', title: 'tcp-keepalive kernel keep-alive', client: (s) => ({ keepAlive: s.keepAlive }) },
  {
    name: 'keepalive-ut',
    title: 'kernel keep-alive + user timeout',
    client: (s) => ({ keepAlive: { ...s.keepAlive, userTimeout: s.userTimeout } }),
  },
  { name: 'heartbeat', title: 'application heartbeat', client: (s) => ({ heartbeat: { ...s.heartbeat, jitter: 0 } }) },
  {
    name: 'heartbeat-keepalive',
    title: 'heartbeat + kernel keep-alive',
    client: (s) => ({ heartbeat: { ...s.heartbeat, jitter: 0 }, keepAlive: s.keepAlive }),
  },
];
