/**
 * Runs one target's fuzzing in a worker thread and watches it: a worker whose execution counter has not
 * moved for `hangSeconds` (once it has started its first execution) is stopped (`Worker.terminate` interrupts even a loop that never yields), and
 * the input it was running, read from the shared memory, becomes a `hang` finding.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Finding, FuzzReport } from './fuzzer.js';
import type { WorkerJob } from './worker.js';

/** Room for the input a hung worker was running: more than any target's `maxLength`. */
const MAX_INPUT_LENGTH = 64 * 1024;

/** How long a worker may take to load its target and seeds before it runs its first input. */
const STARTUP_SECONDS = 120;

/** Fuzzes `job`'s target in a worker; resolves with its report, or with a hang finding. */
export function superviseFuzzing(name: string, job: Omit<WorkerJob, 'shared'>, hangSeconds: number): Promise<FuzzReport> {
  const shared = new SharedArrayBuffer(8 + MAX_INPUT_LENGTH);
  const counters = new Int32Array(shared, 0, 2);
  // The entry registers tsx's loader in the worker thread, then loads `worker.ts`.
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { ...job, shared } satisfies WorkerJob });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let lastCount = -1;
    let lastChange = performance.now();
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      outcome();
    };
    const watch = setInterval(() => {
      const count = Atomics.load(counters, 0);
      if (count !== lastCount) {
        lastCount = count;
        lastChange = performance.now();
        return;
      }
      // Before the first execution the worker is loading its target and seeds: that may take a while.
      if (performance.now() - lastChange < (count === 0 ? STARTUP_SECONDS : hangSeconds) * 1000) return;
      const input = Buffer.from(new Uint8Array(shared, 8, Atomics.load(counters, 1)));
      const finding: Finding = {
        kind: 'hang',
        signature: `hang: over ${hangSeconds} s`,
        message: `one execution ran for more than ${hangSeconds} s on ${input.length} bytes`,
        inputHex: input.toString('hex'),
      };
      if (job.options.findingsDir) {
        const dir = join(job.options.findingsDir, name);
        mkdirSync(dir, { recursive: true });
        finding.file = join(dir, `hang-${Date.now()}`);
        writeFileSync(finding.file, input);
      }
      finish(() => {
        void worker.terminate();
        resolve({ target: name, seconds: (performance.now() - started) / 1000, executions: count, seeds: 0, corpus: 0, features: 0, blocks: 0, slowestMs: 0, findings: [finding] });
      });
    }, 250);
    worker.once('message', (report: FuzzReport) => finish(() => resolve(report)));
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`fuzz worker for ${name} exited with code ${code} before reporting`))));
  });
}
