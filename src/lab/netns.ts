/**
 * A private two-host network for killing peers for real: two network
 * namespaces joined by a veth pair, nothing added to the root namespace.
 * Used by the test suite and the comparison lab.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Every `ip` call is bounded; a hung one fails the caller instead of hanging it. */
const IP_TIMEOUT_MS = 10_000;
const PREFIX = 'tka-';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a step whose failure means only that there was nothing to do (a process already gone). */
function ifStillThere(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // ESRCH and the like: already gone, which is what the step wanted
  }
}

/** Deletes a namespace; one that will not go is said (a leftover), and clean-up goes on. */
function deleteNamespace(name: string): void {
  try {
    ip(['netns', 'del', name]);
  } catch (error) {
    process.emitWarning(`tcp-keepalive lab: network namespace ${name} could not be deleted: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** Whether nftables can filter inside a namespace here (for {@link TestNetwork.dropSilently}), and why not. */
export function nftSupport(): { ok: true } | { ok: false; reason: string } {
  try {
    execFileSync('nft', ['--version'], { timeout: IP_TIMEOUT_MS, stdio: 'ignore' });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `nft (Debian package nftables) is not usable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

/** Whether namespaces can be made here, and why not. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'network namespaces need root (run as root, e.g. in CI)' };
  }
  const probe = `${PREFIX}${process.pid}-probe-${randomBytes(3).toString('hex')}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return { ok: true };
  } catch (error) {
    ifStillThere(() => ip(['netns', 'del', probe]));
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, reason: `cannot create a network namespace with iproute2 (${message})` };
  }
}

const live = new Set<TestNetwork>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that fails or times out still leaves no namespace behind.
  process.once('exit', () => {
    for (const network of live) network.destroy();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const network of live) network.destroy();
      process.kill(process.pid, signal);
    });
  }
}

/** Deletes namespaces left by processes of ours that died without cleaning up. */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  let list = '';
  try {
    list = ip(['netns', 'list']);
  } catch {
    return removed;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name ?? '');
    if (!name || !match) continue;
    const pid = Number(match[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      killAllIn(name);
      deleteNamespace(name);
      removed.push(name);
    }
  }
  return removed;
}

function killAllIn(ns: string): void {
  let pids = '';
  try {
    pids = ip(['netns', 'pids', ns]);
  } catch {
    return;
  }
  for (const pid of pids.split(/\s+/).filter(Boolean)) ifStillThere(() => process.kill(Number(pid), 'SIGKILL'));
}

/**
 * Two hosts, "client" and "peer", each in its own namespace, joined by a veth
 * pair: client 10.77.0.1/24 on `clientDev`, peer 10.77.0.2/24 on `peerDev`.
 * Names are unique per process and instance (veth names fit IFNAMSIZ).
 */
export class TestNetwork {
  readonly clientNs: string;
  readonly peerNs: string;
  readonly clientDev: string;
  readonly peerDev: string;
  readonly clientAddress = '10.77.0.1';
  readonly peerAddress = '10.77.0.2';
  private destroyed = false;

  private constructor(id: string) {
    this.clientNs = `${PREFIX}${process.pid}-${id}-client`;
    this.peerNs = `${PREFIX}${process.pid}-${id}-peer`;
    // Fresh device names every time: a deleted namespace's veth can linger.
    this.clientDev = `tk${id}c`;
    this.peerDev = `tk${id}p`;
  }

  /** Creates both namespaces and the link between them. */
  static create(): TestNetwork {
    installExitHook();
    removeStaleNamespaces();
    const network = new TestNetwork(randomBytes(4).toString('hex'));
    live.add(network);
    try {
      network.build();
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  private build(): void {
    ip(['netns', 'add', this.clientNs]);
    ip(['netns', 'add', this.peerNs]);
    ip(['-n', this.clientNs, 'link', 'add', this.clientDev, 'type', 'veth', 'peer', 'name', this.peerDev, 'netns', this.peerNs]);
    for (const [ns, dev, address] of [
      [this.clientNs, this.clientDev, this.clientAddress],
      [this.peerNs, this.peerDev, this.peerAddress],
    ] as const) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev]);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
  }

  /** argv that runs `command` inside the given host's namespace. */
  execArgs(host: 'client' | 'peer', command: string[]): string[] {
    return ['netns', 'exec', host === 'client' ? this.clientNs : this.peerNs, ...command];
  }

  /** Runs a short command in a host's namespace (bounded). */
  run(host: 'client' | 'peer', command: string[]): string {
    return ip(this.execArgs(host, command));
  }

  /** Silently cuts the path: the peer's link goes down (the client side loses carrier too). */
  cutPath(): void {
    ip(['-n', this.peerNs, 'link', 'set', this.peerDev, 'down']);
  }

  /** Restores the path after {@link cutPath}. */
  restorePath(): void {
    ip(['-n', this.peerNs, 'link', 'set', this.peerDev, 'up']);
  }

  /** Cuts the path for `ms`, then restores it. */
  async cutPathFor(ms: number): Promise<void> {
    this.cutPath();
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.restorePath();
  }

  /**
   * The path drops everything silently for `ms` somewhere past the client's
   * own link: the peer host's address is removed (its kernel discards what
   * arrives for it and cannot answer), then restored. Unlike
   * {@link cutPathFor}, the client keeps its carrier and route, so its
   * retransmissions leave the host and are lost on the way, as when a
   * remote hop fails.
   */
  async dropAtPeerFor(ms: number): Promise<void> {
    const address = `${this.peerAddress}/24`;
    ip(['-n', this.peerNs, 'addr', 'del', address, 'dev', this.peerDev]);
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      ip(['-n', this.peerNs, 'addr', 'add', address, 'dev', this.peerDev]);
    }
  }

  /**
   * Everything between the hosts is dropped, silently and from now on: an
   * nftables table in the peer's namespace discards every IP packet in and
   * out of its link. The link stays up and ARP still answers, so neither
   * side gets a FIN, a RST or an ICMP error: only timers can tell (what a
   * NAT or a load balancer that forgot the flow does). {@link stopDropping}
   * lets traffic pass again.
   */
  dropSilently(): void {
    const dev = this.peerDev;
    const rules = [
      'table inet tk_drop {',
      `  chain in { type filter hook input priority -300; policy accept; iifname "${dev}" drop; }`,
      `  chain out { type filter hook output priority -300; policy accept; oifname "${dev}" drop; }`,
      '}',
    ].join('\n');
    execFileSync('ip', this.execArgs('peer', ['nft', '-f', '-']), { input: rules, timeout: IP_TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Ends {@link dropSilently}. */
  stopDropping(): void {
    this.run('peer', ['nft', 'delete', 'table', 'inet', 'tk_drop']);
  }

  /**
   * The peer host vanishes with the link up: its address is removed and the
   * client forgets its neighbour entry, so ARP fails from now on.
   */
  vanishPeerHost(): void {
    ip(['-n', this.peerNs, 'addr', 'flush', 'dev', this.peerDev]);
    ip(['-n', this.clientNs, 'neigh', 'flush', 'dev', this.clientDev]);
  }

  /**
   * The peer host reboots: link cut, every process in it killed, its TCP
   * state destroyed, link restored. The next segment from the client is
   * answered by RST.
   */
  rebootPeerHost(): void {
    this.cutPath();
    killAllIn(this.peerNs);
    ifStillThere(() => this.run('peer', ['ss', '-K', 'dst', this.clientAddress])); // nothing to kill is fine
    this.restorePath();
  }

  /** Deletes everything; safe to call twice and after partial creation. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of [this.clientNs, this.peerNs]) {
      killAllIn(ns);
      deleteNamespace(ns);
    }
  }
}
