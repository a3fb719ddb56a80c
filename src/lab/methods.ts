/**
 * The ways of noticing a dead peer the lab compares, each run by a client
 * actor with its own connection.
 * @packageDocumentation
 */
import type { ClientConfig } from './actors/client';
import type { LabSettings } from './settings';

export type MethodName = 'none' | 'node' | 'keepalive' | 'keepalive-ut' | 'heartbeat' | 'heartbeat-keepalive';

/** One way of noticing a dead peer. */
export interface Method {
  name: MethodName;
  title: string;
  client(s: LabSettings): Omit<ClientConfig, 'host' | 'port'>;
}

export const METHODS: readonly Method[] = [
  { name: 'none', title: "no keep-alive (Node's default)", client: () => ({}) },
  { name: 'node', title: "Node's socket.setKeepAlive(true, idle)", client: (s) => ({ nodeKeepAlive: s.nodeIdle }) },
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
