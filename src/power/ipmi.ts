/**
 * IPMI 2.0 over LAN through Debian's `ipmitool` (`-I lanplus`, RMCP+). The password reaches ipmitool in
 * its environment (`-E` reads `IPMI_PASSWORD`), never on its command line, so `ps` and logs never show
 * it. ipmitool's own retries are off (`-R 1`); this client retries only a timeout, at most
 * `limits.retries` times, and each run is killed at `limits.timeoutMs`.
 *
 * Commands (ipmitool(1)): `power status|on|off|soft|cycle`; `chassis bootdev pxe` sets the boot device
 * for the next boot only (IPMI 2.0 §28.12, boot flags parameter 5, "valid for next boot only"), with
 * `options=efiboot` (the "BIOS boot type: EFI" bit) for UEFI hosts.
 */
import { spawn } from 'node:child_process';
import { PowerError, type PowerAction, type PowerClient, type PowerLimits, type PowerState } from './types.js';

/** Where and as whom to reach the BMC. */
export interface IpmiTarget {
  address: string;
  port?: number;
  username: string;
  password: string;
  firmware: 'bios' | 'uefi';
}

/** What one ipmitool run printed. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a program with arguments and environment; `ipmitool` unless a test names another. */
export type IpmiRunner = (args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) => Promise<Run>;

/** Runs Debian's ipmitool, killing it at the time limit. */
export const runIpmitool: IpmiRunner = (args, env, timeoutMs) =>
  new Promise((resolve, reject) => {
    const child = spawn('ipmitool', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new PowerError('not-configured', 'ipmitool is not installed (Debian package ipmitool)') : error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });

/** Classifies a failed run: timeouts are worth a retry, refusals are not. */
export function ipmiFailure(run: Run, what: string, address: string): PowerError {
  const text = `${run.stderr}\n${run.stdout}`;
  if (/RAKP 2 (HMAC|message) is invalid|unauthorized name|invalid user ?name|password|Invalid (user|session)|authentication/i.test(text) && !/Insufficient privilege/i.test(text)) {
    return new PowerError('credentials', `the BMC at ${address} refused the credentials (${what})`);
  }
  if (run.timedOut || /Unable to establish|timeout|No response|Connection refused|Address lookup|Get Session Challenge/i.test(text)) {
    return new PowerError('unreachable', `no answer from the BMC at ${address} (${what}): ${firstLine(run.stderr) || 'timed out'}`);
  }
  return new PowerError('refused', `the BMC at ${address} refused ${what}: ${firstLine(run.stderr) || firstLine(run.stdout) || `exit ${run.code}`}`);
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

const IPMITOOL_POWER: Record<PowerAction, string> = { on: 'on', off: 'off', 'soft-off': 'soft', cycle: 'cycle' };

/** An IPMI-over-LAN client of one BMC. */
export function ipmiClient(target: IpmiTarget, limits: PowerLimits, run: IpmiRunner = runIpmitool): PowerClient {
  const seconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  // -v makes ipmitool say why a session failed ("RAKP 2 HMAC is invalid": wrong password), not only that it did.
  const base = ['-v', '-I', 'lanplus', '-H', target.address, '-p', String(target.port ?? 623), '-U', target.username, '-E', '-N', String(seconds), '-R', '1'];
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', IPMI_PASSWORD: target.password };
  const call = async (what: string, args: string[]): Promise<string> => {
    let last: PowerError | null = null;
    for (let attempt = 0; attempt <= limits.retries; attempt += 1) {
      // The process limit leaves ipmitool time for its own session timeout (-N) plus start-up.
      const result = await run([...base, ...args], env, limits.timeoutMs + 5_000);
      if (result.code === 0 && !result.timedOut) return result.stdout;
      last = ipmiFailure(result, what, target.address);
      if (last.code !== 'unreachable') throw last;
    }
    throw last!;
  };
  return {
    protocol: 'ipmi',
    async status(): Promise<PowerState> {
      const out = await call('power status', ['power', 'status']);
      const match = /Chassis Power is (on|off)/i.exec(out);
      if (!match) throw new PowerError('protocol', `unexpected answer to power status from ${target.address}: ${firstLine(out)}`);
      return match[1]!.toLowerCase() as PowerState;
    },
    async power(action) {
      await call(`power ${action}`, ['power', IPMITOOL_POWER[action]]);
    },
    async networkBootOnce() {
      await call('chassis bootdev pxe', ['chassis', 'bootdev', 'pxe', ...(target.firmware === 'uefi' ? ['options=efiboot'] : [])]);
    },
  };
}
