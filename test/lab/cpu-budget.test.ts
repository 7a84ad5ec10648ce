/**
 * The CPU budget the two-instance benchmark gives each instance: a process spinning on a core, moved
 * into a budget of 0.2 cores, uses about that and no more, and its cgroup is gone once it has exited.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBudgetsAvailable, limitCpu } from '../../lab/cpu-budget.js';
import { startProcess } from '../../lab/process.js';

/** User + system CPU seconds of a process (`/proc/<pid>/stat`, ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!cpuBudgetsAvailable())('a CPU budget for one process', () => {
  it('holds a spinning process to its share of a core, and removes its cgroup afterwards', async () => {
    // Spins for at most 20 s on its own, so nothing outlives a failed test for long.
    const spinner = startProcess(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end) {}']);
    const budget = limitCpu(spinner.pid, 0.2, 'test');
    try {
      expect(readFileSync(`${budget.dir}/cgroup.procs`, 'utf8').trim().split('\n')).toContain(String(spinner.pid));
      await sleep(300);
      const before = cpuSeconds(spinner.pid);
      const started = Date.now();
      await sleep(2_000);
      const share = (cpuSeconds(spinner.pid) - before) / ((Date.now() - started) / 1000);
      // Unlimited, it would use a whole core (1.0); the budget allows 0.2 per 100-ms period.
      expect(share).toBeLessThan(0.3);
      expect(share).toBeGreaterThan(0.05);
    } finally {
      await spinner.stop('SIGKILL', 3_000);
      budget.release();
    }
    expect(existsSync(budget.dir)).toBe(false);
  });

  it('refuses a budget that is not a positive number of cores', () => {
    expect(() => limitCpu(process.pid, 0, 'test')).toThrow(/positive number of cores/);
    expect(() => limitCpu(process.pid, Number.NaN, 'test')).toThrow(/positive number of cores/);
  });
});
