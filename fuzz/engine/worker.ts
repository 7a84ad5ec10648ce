/**
 * One target fuzzed in a worker thread, so that the supervisor (`supervise.ts`) can stop it if an input
 * makes it loop: before each execution the input is copied into memory shared with the supervisor and
 * a counter is bumped. The report is posted back when the time is up.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTarget } from '../targets/index.js';
import { fuzz, type FuzzOptions } from './fuzzer.js';

/** What the supervisor hands a worker. */
export interface WorkerJob {
  /** File URL of the module exporting the target, and the export's name. */
  module: string;
  exportName: string;
  options: Omit<FuzzOptions, 'beforeRun'>;
  /** [0] executions started, [1] length of the current input; the input's bytes follow the 8-byte header. */
  shared: SharedArrayBuffer;
}

const job = workerData as WorkerJob;
const target = await loadTarget(job);
const counters = new Int32Array(job.shared, 0, 2);
const bytes = new Uint8Array(job.shared, 8);
const report = fuzz(target, {
  ...job.options,
  beforeRun(data) {
    const length = Math.min(data.length, bytes.length);
    bytes.set(data.subarray(0, length));
    Atomics.store(counters, 1, length);
    Atomics.add(counters, 0, 1);
  },
});
parentPort!.postMessage(report);
