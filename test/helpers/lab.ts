// One private network per test, with its actors; always torn down, also when
// the test fails.
import { TestNetwork, startPeer, type Actor } from './harness';
import { sleep } from './time';

export { sleep };

export interface Lab {
  network: TestNetwork;
  /** Actors to stop at the end. */
  actors: Actor[];
}

/** Runs `body` with a fresh network; stops its actors and removes the network afterwards. */
export async function withNetwork<T>(body: (lab: Lab) => Promise<T>): Promise<T> {
  const network = TestNetwork.create();
  const actors: Actor[] = [];
  try {
    return await body({ network, actors });
  } finally {
    await Promise.all(actors.map((a) => a.stop()));
    network.destroy();
  }
}

/** {@link withNetwork} with the plain peer (peer.ts) already listening on the peer host. */
export async function withLab<T>(body: (lab: Lab & { peer: Actor }) => Promise<T>): Promise<T> {
  return withNetwork(async (lab) => {
    const peer = await startPeer(lab.network);
    lab.actors.push(peer);
    return body({ ...lab, peer });
  });
}
