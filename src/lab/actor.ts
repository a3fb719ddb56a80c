/**
 * A child process that speaks JSON lines: it reports events on stdout and
 * takes commands on stdin. Peers and clients of the dead-peer lab run as
 * actors inside network namespaces.
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One event an actor reported; `at` is its Date.now() in ms. */
export interface ActorEvent {
  type: string;
  at: number;
  [key: string]: unknown;
}

/** A running child process with a bounded wait for each of its events. */
export class Actor {
  readonly child: ChildProcess;
  readonly events: ActorEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exited = false;

  constructor(argv: string[], readonly name: string) {
    const [command, ...args] = argv as [string, ...string[]];
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => {});
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ActorEvent);
      } catch {
        this.events.push({ type: 'stdout', at: Date.now(), line });
      }
      this.wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.events.push({ type: 'exit', at: Date.now(), code, signal });
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The first event of `type` (or of any of several types), optionally matching `filter`, waiting at most `timeoutMs`. */
  next(type: string | readonly string[], timeoutMs: number, filter: (e: ActorEvent) => boolean = () => true): Promise<ActorEvent> {
    const types: readonly string[] = typeof type === 'string' ? [type] : type;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find((e) => types.includes(e.type) && filter(e));
        if (found) {
          finish();
          resolve(found);
          return true;
        }
        if (this.exited && !types.includes('exit')) {
          finish();
          reject(new Error(`${this.name} exited before '${types.join("' or '")}'. stderr: ${this.stderr}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no '${types.join("' or '")}' within ${timeoutMs} ms. Events: ${JSON.stringify(this.events.slice(-5))} stderr: ${this.stderr}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => {
        check();
      };
      this.waiters.add(waiter);
      check();
    });
  }

  /** Whether an event of `type` has arrived. */
  has(type: string): boolean {
    return this.events.some((e) => e.type === type);
  }

  /** Sends a command line. */
  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /**
   * Sends `{ cmd, ...extra }` and waits (bounded) for the next event of type
   * `cmd`: the actor's answer to that command.
   */
  async ask(cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 5000): Promise<ActorEvent> {
    const earlier = new Set(this.events.filter((e) => e.type === cmd));
    this.send({ cmd, ...extra });
    return this.next(cmd, timeoutMs, (e) => !earlier.has(e));
  }

  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, ...) if still running. */
  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Kills the process and waits (bounded) for it to go. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await this.next('exit', timeoutMs).catch(() => undefined);
  }
}
