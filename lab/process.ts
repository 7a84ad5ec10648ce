/**
 * Child processes for tests and benchmarks: every process is started with a deadline and stopped by its PID, never by
 * name. `runCommand` waits for exit; `startProcess` returns a handle to stop later.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Result of a finished command. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, killing it (SIGKILL, by PID) after `timeoutMs`. Never rejects on exit status. */
export function runCommand(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number; input?: string | Buffer } = {},
): Promise<CommandResult> {
  const { timeoutMs = 30_000, input, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** A long-running child process started by a test. */
export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when `pattern` appears in the output; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) by PID and waits for exit; escalates to SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
}

/** Starts a long-running process; the caller must `stop()` it (typically in `afterAll`). */
export function startProcess(command: string, args: string[], options: SpawnOptions = {}): RunningProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let buffer = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    buffer += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  return {
    child,
    pid,
    exited,
    output: () => buffer,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = buffer.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (exitCode !== undefined) {
            done();
            reject(new Error(`${command} exited (${exitCode}) before ${pattern}:\n${buffer.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} from ${command}:\n${buffer.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5_000) {
      if (exitCode !== undefined) return;
      try {
        process.kill(pid, signal);
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when a command is on the PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  const result = await runCommand('sh', ['-c', `command -v ${name}`], { timeoutMs: 5_000 });
  return result.code === 0;
}

/** Throws a clear error when a required tool is missing (real-client tests fail loudly; CI installs the tools). */
export async function requireCommands(...names: string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of names) if (!(await hasCommand(name))) missing.push(name);
  if (missing.length > 0) {
    throw new Error(`required tools missing: ${missing.join(', ')} (install the packages in .ci/debian-packages.txt)`);
  }
}
