/**
 * Network namespaces for tests and benchmarks that need real broadcast and real interfaces. Every
 * namespace and link is created by its caller and deleted by it; no traffic leaves the namespaces.
 * Needs root.
 */
import type { SpawnOptions } from 'node:child_process';
import { runCommand, startProcess, type CommandResult, type RunningProcess } from './process.js';

let counter = 0;

/** A short unique name (`<prefix><pid><n>`, ≤ 15 characters so it also fits an interface name). */
export function uniqueName(prefix: string): string {
  counter += 1;
  const name = `${prefix}${process.pid % 100000}${counter}`;
  if (name.length > 15) throw new Error(`name too long for an interface: ${name}`);
  return name;
}

/** Runs `ip …` and throws with its stderr when it fails. */
export async function ip(...args: string[]): Promise<string> {
  const result = await runCommand('ip', args, { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** True when the tests run as root (namespaces need it). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** A network namespace created by a test. */
export class Namespace {
  private readonly processes = new Set<RunningProcess>();

  private constructor(readonly name: string) {}

  /** Creates a namespace with its loopback up. */
  static async create(prefix: string): Promise<Namespace> {
    const name = uniqueName(prefix);
    await ip('netns', 'add', name);
    const ns = new Namespace(name);
    await ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n <ns> …`. */
  ip(...args: string[]): Promise<string> {
    return ip('-n', this.name, ...args);
  }

  /** Runs a command inside the namespace to completion (bounded by `timeoutMs`). */
  exec(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    return runCommand('ip', ['netns', 'exec', this.name, command, ...args], options);
  }

  /** Starts a long-running command inside the namespace; it is stopped by PID in `delete()` if still running. */
  spawn(command: string, args: string[], options: SpawnOptions = {}): RunningProcess {
    const proc = startProcess('ip', ['netns', 'exec', this.name, command, ...args], options);
    this.processes.add(proc);
    void proc.exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /** Stops every process started with `spawn` (by PID), then deletes the namespace. */
  async delete(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop('SIGTERM', 3_000)));
    await runCommand('ip', ['netns', 'delete', this.name], { timeoutMs: 10_000 });
  }
}

/**
 * Connects two namespaces with a veth pair and optionally addresses each end (`10.201.0.1/24`).
 * Returns the interface names (`[inA, inB]`).
 */
export async function connect(a: Namespace, addressA: string | null, b: Namespace, addressB: string | null): Promise<[string, string]> {
  const ifA = uniqueName('va');
  const ifB = uniqueName('vb');
  await ip('link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.name);
  for (const [ns, ifName, address] of [
    [a, ifA, addressA],
    [b, ifB, addressB],
  ] as const) {
    if (address) await ns.ip('addr', 'add', address, 'dev', ifName);
    await ns.ip('link', 'set', ifName, 'up');
  }
  return [ifA, ifB];
}

/** Creates a bridge inside `ns` (optionally with an address) and returns its name. */
export async function createBridge(ns: Namespace, address: string | null = null): Promise<string> {
  const name = uniqueName('br');
  await ns.ip('link', 'add', name, 'type', 'bridge');
  if (address) await ns.ip('addr', 'add', address, 'dev', name);
  await ns.ip('link', 'set', name, 'up');
  return name;
}

/**
 * Creates a veth pair with one end in `host` (addressed, up) and the other end enslaved to `bridge` in
 * `bridgeNs`. Returns the host-side interface name.
 */
export async function attachToBridge(bridgeNs: Namespace, bridge: string, host: Namespace, address: string | null): Promise<string> {
  const [bridgeSide, hostSide] = await connect(bridgeNs, null, host, address);
  await bridgeNs.ip('link', 'set', bridgeSide, 'master', bridge);
  return hostSide;
}
