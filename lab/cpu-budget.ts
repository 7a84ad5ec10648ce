/**
 * A CPU budget for one process, as if it ran on a machine of its own with that many cores: the process
 * is moved into a new cgroup whose CFS bandwidth limit is `cores` × the period. Works with cgroup v2 (the
 * `cpu` controller enabled at the root: `cpu.max`) and with the v1 `cpu` hierarchy (`cpu.cfs_quota_us`).
 * The benchmarks use it to give each of several servers sharing one machine the same share, so what two
 * instances add over one is measured against a fixed budget each rather than against the machine's cores,
 * which the load generator and the database also use.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 100_000;

/** The cgroup directory under which budgets are made, and how to set one; null when neither kind is usable. */
function hierarchy(): { root: string; limit: (dir: string, quotaUs: number) => void } | null {
  const unified = '/sys/fs/cgroup';
  try {
    if (readFileSync(join(unified, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')) {
      return { root: unified, limit: (dir, quota) => writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`) };
    }
  } catch {
    // Not a v2 root; try v1.
  }
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
    return {
      root: v1,
      limit: (dir, quota) => {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      },
    };
  }
  return null;
}

/** Whether this machine can give a process a CPU budget (a writable cgroup `cpu` controller). */
export function cpuBudgetsAvailable(): boolean {
  return hierarchy() !== null;
}

/** A process's budget: its cgroup directory, and `release`, which removes the cgroup once the process has exited. */
export interface CpuBudget {
  dir: string;
  release(): void;
}

/**
 * Moves process `pid` (all its threads, and the children it starts later) into a cgroup limited to
 * `cores` cores. Call `release` after stopping the process; a group that still holds a process is left
 * and reported.
 */
export function limitCpu(pid: number, cores: number, label: string): CpuBudget {
  if (!(cores > 0)) throw new Error(`a CPU budget must be a positive number of cores, not ${cores}`);
  const kind = hierarchy();
  if (!kind) throw new Error('no cgroup cpu controller is writable here (cgroup v2 cpu.max or v1 cpu.cfs_quota_us)');
  const dir = join(kind.root, `xenboot-bench-${label}-${pid}`);
  mkdirSync(dir);
  kind.limit(dir, Math.round(cores * PERIOD_US));
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  return {
    dir,
    release() {
      try {
        rmdirSync(dir);
      } catch (error) {
        console.error(`could not remove cgroup ${dir}: ${(error as Error).message}`);
      }
    },
  };
}
