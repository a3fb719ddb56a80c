/**
 * Starting the lab's peer and client actors inside a {@link TestNetwork}.
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Actor } from './actor';
import type { TestNetwork } from './netns';
import type { ClientConfig } from './client-main';

/** The compiled actor scripts (lib/lab), also when this module runs from src/. */
const scripts = path.resolve(__dirname, '..', '..', 'lib', 'lab');

/** Starts the peer server on the peer host and waits until it listens. */
export async function startPeer(network: TestNetwork, port = 7000, timeoutMs = 10_000): Promise<Actor> {
  const argv = ['ip', ...network.execArgs('peer', [process.execPath, path.join(scripts, 'peer-main.js'), JSON.stringify({ host: network.peerAddress, port })])];
  const peer = new Actor(argv, 'peer');
  await peer.next('listening', timeoutMs);
  return peer;
}

/** Starts a client on the client host, connected to the peer, and waits for 'connected'. */
export async function startClient(
  network: TestNetwork,
  options: Omit<ClientConfig, 'host' | 'port'> & { port?: number } = {},
  timeoutMs = 10_000,
): Promise<Actor> {
  const config: ClientConfig = { ...options, host: network.peerAddress, port: options.port ?? 7000 };
  const argv = ['ip', ...network.execArgs('client', [process.execPath, path.join(scripts, 'client-main.js'), JSON.stringify(config)])];
  const client = new Actor(argv, 'client');
  await client.next('connected', timeoutMs);
  return client;
}
