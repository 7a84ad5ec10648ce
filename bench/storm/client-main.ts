/**
 * Entry point of the storm's client side, run inside the client namespace:
 * `node --import tsx bench/storm/client-main.ts '<json StormPlan>'`. Starts every client within
 * `spreadMs`, waits for all (each bounded by the TFTP/DHCP retry limits and a global deadline) and prints
 * one JSON object with every client's result on stdout.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { DhcpStormSocket } from './dhcp-client.js';
import { runPxelinuxClient, type StormClientResult } from './pxelinux-client.js';
import type { BulkTftpWait } from '../../lab/clients/tftp-get.js';

/** What the orchestrator asks for. */
export interface StormPlan {
  clients: number;
  /** Index of this process's first client (MACs are derived from it), when the storm is split over processes. */
  firstIndex?: number;
  /** Third-from-last MAC byte distinguishing runs (so leases of two runs never collide). */
  macPrefix: number;
  bootFiles: string[];
  httpBase?: string;
  /** Fetch the boot files with this TFTP client program, one process per file (see tftp-get.c). */
  bulkTftpProgram?: string;
  /** How that program waits for each packet: `recv` (blocking, connected socket) or `poll` (see tftp-get.c). */
  bulkTftpWait?: BulkTftpWait;
  /** Clients start spread evenly over this many ms (a power-on storm is not one instant). */
  spreadMs: number;
  deadlineMs: number;
}

/** What the client side reports back. */
export interface StormReport {
  wallMs: number;
  /** CPU seconds the client process and the programs it ran used (they share the machine with the server). */
  clientCpuSeconds: number;
  /**
   * Times the client process blocked and was woken again (voluntary context switches of its threads,
   * proc(5)): with one event loop that is about one per epoll_wait that found nothing ready.
   */
  clientWakeups: number;
  /** The same CPU split: this process and its children, user and system seconds. */
  clientCpuSplit: { processUser: number; processSystem: number; childrenUser: number; childrenSystem: number };
  results: StormClientResult[];
}

/** CPU seconds of the programs this process ran and reaped (proc(5) cutime and cstime). */
function childrenCpuSeconds(): { user: number; system: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) are 13 and 14 after the command name; clock ticks of 1/100 s.
  return { user: Number(fields[13]) / 100, system: Number(fields[14]) / 100 };
}

/** Voluntary context switches of every thread of this process (proc(5) `voluntary_ctxt_switches`). */
function voluntaryContextSwitches(): number {
  let total = 0;
  for (const task of readdirSync('/proc/self/task')) {
    const status = readFileSync(`/proc/self/task/${task}/status`, 'utf8');
    total += Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0);
  }
  return total;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as StormPlan;
  const dhcp = await DhcpStormSocket.open();
  const started = Date.now();
  const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), plan.deadlineMs).unref());
  const runs: Promise<StormClientResult>[] = [];
  const firstIndex = plan.firstIndex ?? 0;
  for (let i = 0; i < plan.clients; i += 1) {
    const index = firstIndex + i;
    const mac = Buffer.from([0x52, 0x54, plan.macPrefix & 0xff, 0x00, (index >> 8) & 0xff, index & 0xff]);
    const delay = plan.clients > 1 ? Math.floor((plan.spreadMs * i) / (plan.clients - 1)) : 0;
    runs.push(
      new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() =>
        runPxelinuxClient(dhcp, {
          index,
          mac,
          uuid: randomBytes(16),
          bootFiles: plan.bootFiles,
          httpBase: plan.httpBase,
          bulkTftpProgram: plan.bulkTftpProgram,
          bulkTftpWait: plan.bulkTftpWait,
        }),
      ),
    );
  }
  const all = Promise.all(runs);
  const outcome = await Promise.race([all, deadline]);
  const cpu = process.cpuUsage();
  const children = childrenCpuSeconds();
  const report: StormReport = {
    wallMs: Date.now() - started,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6 + children.user + children.system,
    clientWakeups: voluntaryContextSwitches(),
    clientCpuSplit: { processUser: cpu.user / 1e6, processSystem: cpu.system / 1e6, childrenUser: children.user, childrenSystem: children.system },
    results: outcome === 'deadline' ? [] : outcome,
  };
  if (outcome === 'deadline') {
    process.stdout.write(JSON.stringify({ ...report, error: `deadline of ${plan.deadlineMs} ms reached` }) + '\n');
  } else {
    process.stdout.write(JSON.stringify(report) + '\n');
  }
  dhcp.close();
  process.exitCode = outcome === 'deadline' ? 1 : 0;
}

void main();
