// Real loopback sockets for the tests: a connected client/server pair that
// is torn down afterwards.
import * as net from 'node:net';
import { once } from 'node:events';

export interface Pair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
  close(): Promise<void>;
}

/** A listening server on 127.0.0.1 with a random port. */
export async function listen(server: net.Server = net.createServer()): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A connected TCP pair on loopback. */
export async function tcpPair(): Promise<Pair> {
  const server = net.createServer();
  const port = await listen(server);
  const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [accepted] = await acceptedP;
  return {
    server,
    client,
    accepted,
    async close() {
      client.destroy();
      accepted.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
