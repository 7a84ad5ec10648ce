/**
 * A boot lab: one network namespace with a bridge that the boot server (xenboot or dnsmasq) listens on
 * and QEMU guests are plugged into through tap devices (boot-protocols.md §8). Each lab gets its own /24
 * inside 10.205.0.0/16 and its own `xbe…` namespace, so labs can run in parallel. Everything is removed by
 * `close()`, which stops every process started in the lab by its PID first.
 */
import { linkSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Namespace, attachToBridge, createBridge, uniqueName } from '../netns.js';
import { repoRoot } from '../xenboot.js';

/** Prefix of every namespace the e2e suite and the benchmark create. */
export const NETNS_PREFIX = 'xbe';

/** A namespace with a bridge at `<subnet>.1/24`. */
export class BootLab {
  private readonly extraNamespaces: Namespace[] = [];

  private constructor(
    /** Prefix of the lab's namespace names (`xbe` unless the caller's task has its own). */
    private readonly prefix: string,
    readonly ns: Namespace,
    readonly bridge: string,
    /** First three octets, e.g. `10.205.3`. */
    readonly subnet: string,
    /** Scratch directory for this lab (TFTP root, logs, configs); removed on close. */
    readonly workDir: string,
  ) {}

  /** The server's address on the bridge. */
  get serverIp(): string {
    return `${this.subnet}.1`;
  }

  /** `<subnet>.<host>`. */
  address(host: number): string {
    return `${this.subnet}.${host}`;
  }

  /**
   * Creates the namespace and bridge for the subnet `10.205.<octet>.0/24`; a test with subnets of its own
   * names them in `options` (`subnet`: the first three octets; `netnsPrefix`: its namespaces' prefix).
   */
  static async create(octet: number, options: { subnet?: string; netnsPrefix?: string } = {}): Promise<BootLab> {
    if (!Number.isInteger(octet) || octet < 0 || octet > 255) throw new Error(`bad lab octet ${octet}`);
    const subnet = options.subnet ?? `10.205.${octet}`;
    if (!/^10\.\d{1,3}\.\d{1,3}$/.test(subnet)) throw new Error(`bad lab subnet ${subnet}`);
    const ns = await Namespace.create(options.netnsPrefix ?? NETNS_PREFIX);
    const tmpRoot = join(repoRoot, 'test', '.tmp');
    mkdirSync(tmpRoot, { recursive: true });
    const workDir = mkdtempSync(join(tmpRoot, `e2e-${octet}-`));
    try {
      const bridge = await createBridge(ns, `${subnet}.1/24`);
      // Replies to guests on the same host would otherwise leave with partial checksums (§1.3).
      await ns.exec('ethtool', ['-K', bridge, 'tx', 'off'], { timeoutMs: 10_000 });
      return new BootLab(options.netnsPrefix ?? NETNS_PREFIX, ns, bridge, subnet, workDir);
    } catch (error) {
      await ns.delete();
      rmSync(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Adds a second bridge (a second boot network) in the lab's namespace with `address` (`a.b.c.d/n`); returns its name. */
  async addBridge(address: string): Promise<string> {
    const bridge = await createBridge(this.ns, address);
    await this.ns.exec('ethtool', ['-K', bridge, 'tx', 'off'], { timeoutMs: 10_000 });
    return bridge;
  }

  /** Adds a tap device on the bridge (the lab's, or one from `addBridge`) for a QEMU guest and returns its name. */
  async addTap(bridge: string = this.bridge): Promise<string> {
    const tap = uniqueName('tp');
    await this.ns.ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
    await this.ns.ip('link', 'set', tap, 'master', bridge);
    await this.ns.ip('link', 'set', tap, 'up');
    return tap;
  }

  /**
   * Creates a second namespace (e.g. a Xen "dom0") joined to the bridge by a veth pair, with `address`
   * (`10.205.x.y/24`) on its end. Returns the namespace and its interface name. Deleted by `close()`.
   */
  async addHost(address: string): Promise<{ ns: Namespace; iface: string }> {
    const host = await Namespace.create(this.prefix);
    this.extraNamespaces.push(host);
    const iface = await attachToBridge(this.ns, this.bridge, host, address);
    await host.exec('ethtool', ['-K', iface, 'tx', 'off'], { timeoutMs: 10_000 });
    return { ns: host, iface };
  }

  /**
   * Makes a directory under the lab holding `files` (hard links to the cached assets where possible, so
   * nothing is copied and no symlink leaves the served root) plus `extra` generated files.
   */
  makeRoot(name: string, files: Record<string, string>, extra: Record<string, string> = {}): string {
    const root = join(this.workDir, name);
    mkdirSync(root, { recursive: true });
    for (const [target, source] of Object.entries(files)) {
      const path = join(root, target);
      mkdirSync(dirname(path), { recursive: true });
      try {
        linkSync(source, path);
      } catch {
        copyFileSync(source, path);
      }
    }
    for (const [target, text] of Object.entries(extra)) {
      const path = join(root, target);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    return root;
  }

  /** Writes a file in the lab's scratch directory and returns its path. */
  writeFile(name: string, text: string): string {
    const path = join(this.workDir, basename(name));
    writeFileSync(path, text);
    return path;
  }

  /** Fetches a URL from inside the lab (curl), returning status and body. */
  async httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    const result = await this.ns.exec('curl', ['-sS', '-m', String(Math.ceil(timeoutMs / 1000)), '-w', '\n%{http_code}', url], { timeoutMs: timeoutMs + 5_000 });
    if (result.code !== 0) throw new Error(`curl ${url} failed: ${result.stderr.trim()}`);
    const cut = result.stdout.lastIndexOf('\n');
    return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) };
  }

  /** Stops every process (by PID), deletes the namespaces and the scratch directory. */
  async close(keepWorkDir = false): Promise<void> {
    for (const host of this.extraNamespaces.splice(0)) await host.delete();
    await this.ns.delete();
    if (!keepWorkDir) rmSync(this.workDir, { recursive: true, force: true });
  }
}
