/**
 * Starting the lab's peer and client actors (lab/actors/*, each a process)
 * inside a {@link TestNetwork}, or on loopback.
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Actor } from './actor';
import type { TestNetwork } from './netns';
import type { ChannelPeerConfig } from './actors/channel-peer';
import type { ClientConfig } from './actors/client';
import type { ReconnectingClientConfig } from './actors/reconnecting-client';

/** The compiled actor scripts (lib/lab/actors), also when this module runs from src/. */
const scripts = path.resolve(__dirname, '..', '..', 'lib', 'lab', 'actors');

/** Starts the peer server on the peer host and waits until it listens. */
export async function startPeer(network: TestNetwork, port = 7000, timeoutMs = 10_000): Promise<Actor> {
  const argv = ['ip', ...network.execArgs('peer', [process.execPath, path.join(scripts, 'peer.js'), JSON.stringify({ host: network.peerAddress, port })])];
  const peer = new Actor(argv, 'peer');
  await peer.next('listening', timeoutMs);
  return peer;
}

/**
 * Starts a client connected to the peer and waits for 'connected': on the
 * client host of `network`, or on loopback (then `host` and `port` are required).
 */
export async function startClient(
  network: TestNetwork | undefined,
  options: Omit<ClientConfig, 'host' | 'port'> & { host?: string; port?: number } = {},
  timeoutMs = 10_000,
): Promise<Actor> {
  const config: ClientConfig = {
    ...options,
    host: options.host ?? network?.peerAddress ?? '127.0.0.1',
    port: options.port ?? 7000,
  };
  const command = [process.execPath, path.join(scripts, 'client.js'), JSON.stringify(config)];
  const argv = network ? ['ip', ...network.execArgs('client', command)] : command;
  const client = new Actor(argv, 'client');
  await client.next('connected', timeoutMs);
  return client;
}

/** Starts a channel-protocol peer (see channel-peer-main) on the peer host, or on loopback without a network. */
export async function startChannelPeer(
  network: TestNetwork | undefined,
  options: Omit<ChannelPeerConfig, 'host' | 'port'> & { port?: number } = {},
  timeoutMs = 10_000,
): Promise<{ actor: Actor; host: string; port: number }> {
  const host = network ? network.peerAddress : '127.0.0.1';
  const config: ChannelPeerConfig = { ...options, host, port: options.port ?? (network ? 7000 : 0) };
  const command = [process.execPath, path.join(scripts, 'channel-peer.js'), JSON.stringify(config)];
  const argv = network ? ['ip', ...network.execArgs('peer', command)] : command;
  const actor = new Actor(argv, 'channel-peer');
  const listening = await actor.next('listening', timeoutMs);
  return { actor, host, port: listening.port as number };
}

/** Starts a reconnecting-channel client (actors/reconnecting-client) on the client host; it reports its own 'connected'. */
export function startReconnectingClient(network: TestNetwork, options: Omit<ReconnectingClientConfig, 'host' | 'port'> & { port?: number } = {}): Actor {
  const config: ReconnectingClientConfig = { ...options, host: network.peerAddress, port: options.port ?? 7000 };
  const command = [process.execPath, path.join(scripts, 'reconnecting-client.js'), JSON.stringify(config)];
  return new Actor(['ip', ...network.execArgs('client', command)], 'reconnecting-client');
}
