// Real loopback sockets for the tests: a connected client/server pair that
// is torn down afterwards.
import * as net from 'node:net';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/**
 * A connected TCP pair on loopback. `pauseClient`: the client is paused
 * before it connects, so Node never starts reading it (libuv does not poll it).
 */
export async function tcpPair(options: { pauseClient?: boolean } = {}): Promise<Pair> {
  const server = net.createServer();
  const port = await listen(server);
  const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
  let client: net.Socket;
  if (options.pauseClient) {
    client = new net.Socket();
    client.pause();
    client.connect(port, '127.0.0.1');
  } else {
    client = net.connect(port, '127.0.0.1');
  }
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

/**
 * This process's file descriptor of the TCP connection with these ports,
 * found through /proc (the kernel's own tables), so a test can read back a
 * socket it does not hold (fetch's, an agent's) as a raw descriptor.
 */
export function descriptorOf(localPort: number, remotePort: number): number | undefined {
  return procDescriptor(['/proc/net/tcp', '/proc/net/tcp6'], localPort, remotePort);
}

/**
 * The descriptor of a bound UDP socket, through /proc: Node keeps it out of
 * reach (since Node 26 not even on `_handle`).
 */
export function udpDescriptor(localPort: number): number | undefined {
  return procDescriptor(['/proc/net/udp', '/proc/net/udp6'], localPort);
}

function procDescriptor(tables: string[], localPort: number, remotePort?: number): number | undefined {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const table of tables) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]?.endsWith(`:${hex(localPort)}`) && (remotePort === undefined || f[2]?.endsWith(`:${hex(remotePort)}`))) inode = f[9];
    }
  }
  if (inode === undefined) return undefined;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === `socket:[${inode}]`) return Number(fd);
    } catch {
      // the descriptor closed while we looked
    }
  }
  return undefined;
}
