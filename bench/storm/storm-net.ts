/**
 * The storm's network: a server namespace and a client namespace joined by a veth pair on
 * 10.205.100.0/22 (inside the benchmark's 10.205.0.0/16). The client side carries every pool address as a
 * secondary address, so each simulated client sends its TFTP from its own leased IP, like real clients.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Namespace, connect } from '../../lab/netns.js';
import { runCommand } from '../../lab/process.js';

/** Addresses of the storm network. */
export const STORM_NET = {
  prefix: 22,
  server: '10.205.100.1',
  clientMain: '10.205.100.2',
  poolFirst: '10.205.100.10',
  poolLast: '10.205.103.250',
  subnet: '10.205.100.0/22',
  netmask: '255.255.252.0',
} as const;

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Both namespaces; `close()` deletes them (stopping their processes by PID). */
export interface StormNet {
  server: Namespace;
  client: Namespace;
  serverIface: string;
  clientIface: string;
  close(): Promise<void>;
}

/** Creates the pair of namespaces with every pool address on the client side. */
export async function createStormNet(workDir: string): Promise<StormNet> {
  const server = await Namespace.create('xbe');
  const client = await Namespace.create('xbe');
  const close = async () => {
    await client.delete();
    await server.delete();
  };
  try {
    const [serverIface, clientIface] = await connect(server, `${STORM_NET.server}/${STORM_NET.prefix}`, client, `${STORM_NET.clientMain}/${STORM_NET.prefix}`);
    await client.ip('route', 'add', 'default', 'dev', clientIface);
    await server.ip('route', 'add', 'default', 'dev', serverIface);
    for (const [ns, iface] of [[server, serverIface], [client, clientIface]] as const) {
      await ns.exec('ethtool', ['-K', iface, 'tx', 'off'], { timeoutMs: 10_000 });
    }
    const lines: string[] = [];
    for (let n = toInt(STORM_NET.poolFirst); n <= toInt(STORM_NET.poolLast); n += 1) {
      lines.push(`addr add ${toIp(n)}/${STORM_NET.prefix} dev ${clientIface}`);
    }
    const batch = join(workDir, 'client-addresses.batch');
    writeFileSync(batch, lines.join('\n') + '\n');
    const added = await runCommand('ip', ['-n', client.name, '-batch', batch], { timeoutMs: 60_000 });
    if (added.code !== 0) throw new Error(`adding pool addresses failed: ${added.stderr}`);
    return { server, client, serverIface, clientIface, close };
  } catch (error) {
    await close();
    throw error;
  }
}
