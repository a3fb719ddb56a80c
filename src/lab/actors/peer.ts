/**
 * The peer of the dead-peer lab: a TCP server that accepts one or more
 * clients, reads everything, echoes on request and reports on stdout.
 * argv[2]: JSON { host, port }.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { report } from './emit';

const { host, port } = JSON.parse(process.argv[2] ?? '{}') as { host: string; port: number };

const sockets = new Set<net.Socket>();
let received = 0;
const hash = createHash('sha256');

const server = net.createServer((socket) => {
  sockets.add(socket);
  report('connection', { remotePort: socket.remotePort });
  socket.on('data', (chunk) => {
    received += chunk.length;
    hash.update(chunk);
  });
  socket.on('error', (error: NodeJS.ErrnoException) => report('socket-error', { code: error.code }));
  socket.on('close', () => sockets.delete(socket));
});
server.listen(port, host, () => report('listening', { port: (server.address() as net.AddressInfo).port }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; bytes?: number };
  if (command.cmd === 'received') report('received', { bytes: received, sha256: hash.copy().digest('hex') });
  if (command.cmd === 'send') for (const s of sockets) s.write(Buffer.alloc(command.bytes ?? 1, 0x61));
});
process.stdin.on('end', () => process.exit(0));
