/**
 * The HTTP/1.1 server of the client comparison (actors/http-peer) on the
 * peer host of a lab network, one port per kind of use.
 * @packageDocumentation
 */
import * as path from 'node:path';
import { Actor } from '../actor';
import type { TestNetwork } from '../netns';

/** The compiled actor scripts (lib/lab/actors), also when this module runs from src/. */
const scripts = path.resolve(__dirname, '..', '..', '..', 'lib', 'lab', 'actors');

/** Starts the server and waits until every port listens. */
export async function startHttpServer(network: TestNetwork, ports: number[], timeoutMs = 10_000): Promise<{ stop(): Promise<void> }> {
  const command = [process.execPath, path.join(scripts, 'http-peer.js'), JSON.stringify({ host: network.peerAddress, ports })];
  const actor = new Actor(['ip', ...network.execArgs('peer', command)], 'http server');
  try {
    await actor.next('listening', timeoutMs);
  } catch (error) {
    await actor.stop();
    throw error;
  }
  return { stop: () => actor.stop() };
}
