// One private network per test, with its peer; always torn down.
import { TestNetwork } from '../../src/lab/netns';
import { startPeer } from '../../src/lab/actors';
import type { Actor } from '../../src/lab/actor';

export interface Lab {
  network: TestNetwork;
  peer: Actor;
  /** Actors to stop at the end (the peer is added already). */
  actors: Actor[];
}

/** Runs `body` with a fresh network and peer; removes everything afterwards, also on failure. */
export async function withLab<T>(body: (lab: Lab) => Promise<T>): Promise<T> {
  const network = TestNetwork.create();
  const actors: Actor[] = [];
  try {
    const peer = await startPeer(network);
    actors.push(peer);
    return await body({ network, peer, actors });
  } finally {
    await Promise.all(actors.map((a) => a.stop()));
    network.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
