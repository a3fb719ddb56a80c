/**
 * A real PostgreSQL server (Debian's postgresql package) on the peer host
 * of a lab network: a throw-away cluster (initdb, trust authentication, no
 * fsync) owned by the `postgres` user, listening on the peer's address.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestNetwork } from '../netns';
import { ServiceProcess } from './service';

/** A running server and how to reach it. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  database: string;
  stop(): Promise<void>;
}

/** Where Debian puts the server's programs (/usr/lib/postgresql/VERSION/bin), the newest first. */
function binDirectory(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(base, versions[0], 'bin');
}

/** Whether a PostgreSQL server can be started here, and why not. */
export function postgresSupport(): { ok: true } | { ok: false; reason: string } {
  if (binDirectory() === undefined) return { ok: false, reason: "PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/*/bin/postgres)" };
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return { ok: false, reason: 'the postgres user is missing (created by the postgresql package)' };
  }
  return { ok: true };
}

/** Starts PostgreSQL on the peer host of `network` and waits until it accepts connections. */
export async function startPostgres(network: TestNetwork, port = 5432): Promise<PostgresServer> {
  const support = postgresSupport();
  if (!support.ok) throw new Error(support.reason);
  const bin = binDirectory() as string;
  const ids = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', timeout: 5000 }).trim());
  const directory = mkdtempSync(path.join(os.tmpdir(), 'tk-postgres-'));
  chownSync(directory, ids('-u'), ids('-g'));
  const data = path.join(directory, 'data');
  // The server refuses to run as root: everything runs as postgres.
  const asPostgres = (command: string[]): string[] => ['runuser', '-u', 'postgres', '--', ...command];
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], {
      stdio: 'pipe',
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  // initdb trusts only this host; the clients are on the client host.
  appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${network.clientAddress}/32 trust\n`);
  const server = new ServiceProcess(
    ['ip', ...network.execArgs('peer', asPostgres([
      path.join(bin, 'postgres'), '-D', data,
      '-c', `listen_addresses=${network.peerAddress}`, '-c', `port=${port}`, '-c', `unix_socket_directories=${directory}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=200',
    ]))],
    'postgres',
    directory,
  );
  try {
    await server.ready(/database system is ready to accept connections/);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { host: network.peerAddress, port, user: 'postgres', database: 'postgres', stop: () => server.stop() };
}
