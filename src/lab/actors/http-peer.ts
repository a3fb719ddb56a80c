/**
 * The HTTP/1.1 server of the lab's client comparison: `/fast` answers at
 * once, `/slow` never answers (a request in flight when the path dies).
 * Idle connections are kept for two minutes, so only the client's side can
 * end them. argv[2]: JSON { host, ports } (one port per kind of use, so
 * each client pool has its own connection).
 * @packageDocumentation
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import { report } from './emit';

const { host, ports } = JSON.parse(process.argv[2] ?? '{}') as { host: string; ports: number[] };

let listening = 0;
for (const port of ports) {
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') return; // never answered
    res.end('ok');
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.requestTimeout = 0;
  server.listen(port, host, () => {
    report('bound', { port: (server.address() as net.AddressInfo).port });
    if (++listening === ports.length) report('listening', { ports });
  });
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
