/**
 * A real Redis server (Debian's redis-server package) on the peer host of a
 * lab network: TCP on the peer's address, and a UNIX-domain socket in its
 * temporary directory (a path socket is not bound to a network namespace,
 * so the client host reaches it too, and no cut of the network touches it).
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestNetwork } from '../netns';
import { ServiceProcess } from './service';

/** A running server and how to reach it. */
export interface RedisServer {
  host: string;
  port: number;
  /** Its UNIX-domain socket. */
  unixPath: string;
  stop(): Promise<void>;
}

/** Whether a Redis server can be started here, and why not. */
export function redisSupport(): { ok: true } | { ok: false; reason: string } {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return { ok: true };
  } catch {
    return { ok: false, reason: 'redis-server is not installed (Debian package redis-server)' };
  }
}

/** Starts Redis on the peer host of `network` and waits until it accepts connections. */
export async function startRedis(network: TestNetwork, port = 6379): Promise<RedisServer> {
  const support = redisSupport();
  if (!support.ok) throw new Error(support.reason);
  const directory = mkdtempSync(path.join(os.tmpdir(), 'tk-redis-'));
  chmodSync(directory, 0o755);
  const unixPath = path.join(directory, 'redis.sock');
  const server = new ServiceProcess(
    ['ip', ...network.execArgs('peer', [
      'redis-server', '--bind', network.peerAddress, '--port', String(port), '--protected-mode', 'no',
      '--unixsocket', unixPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', directory,
      // Redis's own keep-alive would notice the dead client: the lab measures the client's side only.
      '--tcp-keepalive', '0', '--daemonize', 'no', '--logfile', '',
    ])],
    'redis',
    directory,
  );
  try {
    await server.ready(/Ready to accept connections/);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { host: network.peerAddress, port, unixPath, stop: () => server.stop() };
}
