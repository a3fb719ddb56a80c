/**
 * A real server (PostgreSQL, Redis) run as a child process inside a lab
 * namespace: started, awaited until its log says it is ready, stopped —
 * every wait bounded, its temporary directory removed.
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** How long a server may take to say it is ready, and to go when stopped, ms. */
const READY_MS = 30_000;
const STOP_MS = 5000;

/** A server process and the last lines of its log (stdout and stderr). */
export class ServiceProcess {
  private readonly child: ChildProcess;
  private readonly log: string[] = [];
  private readonly listeners = new Set<() => void>();
  private exited: string | undefined;

  /**
   * @param argv - the command, already wrapped in `ip netns exec` by the caller.
   * @param name - for messages.
   * @param directory - removed (recursively) once the process is gone.
   */
  constructor(
    argv: readonly string[],
    readonly name: string,
    private readonly directory: string | undefined,
  ) {
    const [command, ...args] = argv as [string, ...string[]];
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        this.log.push(line);
        if (this.log.length > 200) this.log.shift();
        this.wake();
      });
    }
    this.child.on('exit', (code, signal) => {
      this.exited = signal ?? `exit code ${code}`;
      this.wake();
    });
    this.child.on('error', (error) => {
      this.exited = error.message;
      this.wake();
    });
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The last lines it logged. */
  tail(lines = 20): string {
    return this.log.slice(-lines).join('\n');
  }

  /** Resolves when a log line matches `ready`; rejects (with the log) if it exits or takes longer than `timeoutMs`. */
  ready(ready: RegExp, timeoutMs = READY_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.log.some((line) => ready.test(line))) {
          done();
          resolve();
        } else if (this.exited !== undefined) {
          done();
          reject(new Error(`${this.name} stopped (${this.exited}) before it was ready:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM, then SIGKILL if it has not gone within a bound; then its directory goes. Idempotent. */
  async stop(): Promise<void> {
    if (this.exited === undefined) {
      const gone = new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.exited === undefined) return;
          this.listeners.delete(check);
          resolve();
        };
        this.listeners.add(check);
      });
      this.child.kill('SIGTERM');
      const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_MS);
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((resolve) => (giveUp = setTimeout(resolve, 2 * STOP_MS)))]);
      clearTimeout(kill);
      clearTimeout(giveUp);
    }
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
  }
}
