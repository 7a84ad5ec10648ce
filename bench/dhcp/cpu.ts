/**
 * CPU accounting for the DHCP benchmarks: where the machine's CPU went during one perfdhcp run. Two
 * snapshots of `/proc` (the machine's `cpu` line of `/proc/stat`, and `utime + stime` of every process in
 * `/proc/<pid>/stat`, proc(5)) are subtracted; the processes are grouped by the caller (each xenboot
 * instance by PID, PostgreSQL's backends by name, …). Processes that exit between the snapshots are not
 * seen, which is why perfdhcp's own CPU is taken from `/usr/bin/time` around it (`timedCommand`).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`, 100 on Linux x86). */
const TICKS = 100;

/** One reading of the machine's and every process's CPU ticks. */
export interface CpuSnapshot {
  /** Ticks of all cores: busy (user, nice, system, irq, softirq, steal) and total. */
  busy: number;
  total: number;
  /** Of `busy`, the ticks spent in interrupts and softirqs (the kernel's packet work, mostly). */
  irq: number;
  /** PID → process name and its user + system ticks. */
  processes: Map<number, { name: string; ticks: number }>;
}

/** Reads the machine's and every process's CPU ticks now. */
export function cpuSnapshot(): CpuSnapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line;
  const processes = new Map<number, { name: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      processes.set(Number(entry), { name: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone between readdir and read
    }
  }
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, irq: irq + softirq, processes };
}

/** A group of processes: by PID, or by a test on the process name. */
export type ProcessGroup = { pids: number[] } | { name: (name: string) => boolean };

/** CPU between two snapshots: the machine's, and per group (seconds). */
export interface CpuUse {
  /** Wall-clock core-seconds of the window (cores × seconds), and of those, busy and in interrupts. */
  coreSeconds: number;
  busySeconds: number;
  irqSeconds: number;
  groups: Record<string, number>;
}

/** The CPU used between `before` and `after`, in total and by each of `groups`. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, groups: Record<string, ProcessGroup>): CpuUse {
  const used: Record<string, number> = {};
  for (const [label, group] of Object.entries(groups)) {
    let ticks = 0;
    for (const [pid, now] of after.processes) {
      const member = 'pids' in group ? group.pids.includes(pid) : group.name(now.name);
      if (!member) continue;
      const then = before.processes.get(pid);
      ticks += now.ticks - (then && then.name === now.name ? then.ticks : 0);
    }
    used[label] = ticks / TICKS;
  }
  return {
    coreSeconds: (after.total - before.total) / TICKS,
    busySeconds: (after.busy - before.busy) / TICKS,
    irqSeconds: (after.irq - before.irq) / TICKS,
    groups: used,
  };
}

/** `command args` wrapped in `/usr/bin/time` so its CPU is printed on exit (read back with `timedCpu`). */
export function timedCommand(command: string, args: string[]): [string, string[]] {
  return ['/usr/bin/time', ['-f', 'cpu-seconds %U %S', command, ...args]];
}

/** The user + system seconds `/usr/bin/time` printed (see `timedCommand`), or NaN. */
export function timedCpu(output: string): number {
  const match = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(output);
  return match ? Number(match[1]) + Number(match[2]) : NaN;
}
