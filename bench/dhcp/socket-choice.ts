/**
 * IP_PKTINFO against SO_BINDTODEVICE: the receive cost of the two ways one process can tell which
 * interface a DHCP broadcast arrived on (native/pktinfo_socket.c took the first; docs/dhcp.md says why).
 * Builds bench/dhcp/socket-choice.c, joins a server namespace to two client namespaces by veth pairs
 * (10.209.0.1/24 and 10.210.0.1/24), and in each round lets both clients blast 300-byte broadcasts at
 * port 67 while the server receives them with one IP_PKTINFO socket, then with one SO_BINDTODEVICE socket
 * per interface. Prints CPU microseconds per received datagram for each, and their ratio.
 *
 *   sudo npx tsx bench/dhcp/socket-choice.ts [rounds] [datagrams-per-client]
 *
 * Needs root and cc. Namespaces `xmn…`; no traffic leaves them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, runCommand } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const rounds = Number(process.argv[2] ?? 3);
const perClient = Number(process.argv[3] ?? 100_000);

interface Received {
  mode: string;
  datagrams: number;
  perInterface: number[];
  cpuMicrosPerDatagram: number;
  wallMs: number;
}

async function main(): Promise<void> {
  await requireCommands('ip', 'cc');
  const outDir = join(repoRoot, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  const binary = join(outDir, 'socket-choice');
  const built = await runCommand('cc', ['-O2', '-Wall', '-o', binary, join(repoRoot, 'bench', 'dhcp', 'socket-choice.c')], { timeoutMs: 60_000 });
  if (built.code !== 0) throw new Error(`cc failed: ${built.stderr}`);
  const server = await Namespace.create('xmn');
  const clients = [await Namespace.create('xmn'), await Namespace.create('xmn')];
  try {
    const serverIfs: string[] = [];
    const clientIfs: string[] = [];
    for (const [i, client] of clients.entries()) {
      const [serverIf, clientIf] = await connect(server, `10.${209 + i}.0.1/24`, client, `10.${209 + i}.0.2/24`);
      serverIfs.push(serverIf);
      clientIfs.push(clientIf);
    }
    const results: Received[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['pktinfo', 'bindtodevice']) {
        const receiver = server.spawn(binary, ['recv', mode, '67', '1000', ...serverIfs]);
        await receiver.waitFor(/"ready":true/, 10_000);
        await Promise.all(clients.map((client, i) => client.exec(binary, ['send', '67', String(perClient), clientIfs[i]!], { timeoutMs: 120_000 })));
        await receiver.exited;
        const line = receiver.output().split('\n').find((l) => l.includes('"mode"'));
        if (!line) throw new Error(`receiver printed no result: ${receiver.output()}`);
        const result = JSON.parse(line) as Received;
        results.push(result);
        console.log(JSON.stringify({ round, ...result }));
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const cost = (mode: string) => median(results.filter((r) => r.mode === mode).map((r) => r.cpuMicrosPerDatagram));
    console.log(`\n| receiver | CPU µs per datagram (median of ${rounds}) |\n|---|---|`);
    for (const mode of ['pktinfo', 'bindtodevice']) console.log(`| ${mode} | ${cost(mode).toFixed(3)} |`);
    console.log(`\npktinfo ÷ bindtodevice: ${(cost('pktinfo') / cost('bindtodevice')).toFixed(2)}`);
  } finally {
    for (const ns of [...clients, server]) await ns.delete();
  }
}

await main();
