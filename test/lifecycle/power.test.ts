/**
 * Power control pieces without a BMC: the ipmitool command lines (password only in the environment, EFI
 * flag for UEFI hosts), how ipmitool's failures are told apart (ipmitool 1.8.19's messages, as seen
 * against ipmi_sim: wrong password, unknown user, no BMC), bounded retries of timeouts only, and where
 * credentials come from. The real BMC runs in test/e2e/lifecycle-bmc.slow.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipmiClient, type IpmiRunner } from '../../src/power/ipmi.js';
import { readCredentials } from '../../src/power/secrets.js';
import { PowerError } from '../../src/power/types.js';

const target = { address: '10.205.31.2', username: 'admin', password: 'Secret-9', firmware: 'uefi' as const };

function fakeRunner(answers: Array<{ code: number; stdout?: string; stderr?: string; timedOut?: boolean }>) {
  const calls: Array<{ args: string[]; env: NodeJS.ProcessEnv }> = [];
  const run: IpmiRunner = async (args, env) => {
    calls.push({ args, env });
    const answer = answers.shift() ?? { code: 0 };
    return { code: answer.code, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '', timedOut: answer.timedOut ?? false };
  };
  return { run, calls };
}

describe('IPMI client', () => {
  it('passes the password in the environment only, and asks for a UEFI PXE boot with options=efiboot', async () => {
    const { run, calls } = fakeRunner([{ code: 0, stdout: 'Set Boot Device to pxe\n' }, { code: 0, stdout: 'Chassis Power is off\n' }, { code: 0 }]);
    const client = ipmiClient(target, { timeoutMs: 3000, retries: 2 }, run);
    await client.networkBootOnce();
    expect(await client.status()).toBe('off');
    await client.power('soft-off');
    expect(calls.map((c) => c.args.slice(-4).join(' '))).toEqual(['chassis bootdev pxe options=efiboot', '-R 1 power status', '-R 1 power soft']);
    for (const call of calls) {
      expect(call.args.join(' ')).not.toContain('Secret-9');
      expect(call.args).toEqual(expect.arrayContaining(['-I', 'lanplus', '-H', '10.205.31.2', '-p', '623', '-U', 'admin', '-E', '-N', '3']));
      expect(call.env.IPMI_PASSWORD).toBe('Secret-9');
    }
    const bios = fakeRunner([{ code: 0 }]);
    await ipmiClient({ ...target, firmware: 'bios' }, { timeoutMs: 3000, retries: 0 }, bios.run).networkBootOnce();
    expect(bios.calls[0]!.args.slice(-3)).toEqual(['chassis', 'bootdev', 'pxe']);
  });

  it('a wrong password or user is a credentials error at once (no retry: retries lock accounts)', async () => {
    const wrong = fakeRunner([{ code: 1, stderr: 'Unable to Get Channel Cipher Suites\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n' }]);
    await expect(ipmiClient(target, { timeoutMs: 1000, retries: 3 }, wrong.run).status()).rejects.toMatchObject({ code: 'credentials' });
    expect(wrong.calls).toHaveLength(1);
    const user = fakeRunner([{ code: 1, stderr: 'RAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session\n' }]);
    await expect(ipmiClient(target, { timeoutMs: 1000, retries: 3 }, user.run).power('on')).rejects.toMatchObject({ code: 'credentials' });
  });

  it('no answer is retried a bounded number of times, then reported as unreachable', async () => {
    const dead = fakeRunner(Array.from({ length: 5 }, () => ({ code: 1, stderr: 'Error: Unable to establish IPMI v2 / RMCP+ session\n' })));
    const error = await ipmiClient(target, { timeoutMs: 1000, retries: 2 }, dead.run).status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PowerError);
    expect(error).toMatchObject({ code: 'unreachable', message: expect.stringMatching(/no answer from the BMC at 10\.205\.31\.2/) });
    expect(dead.calls).toHaveLength(3);
    const refused = fakeRunner([{ code: 1, stderr: 'Set Chassis Power Control to Cycle failed: Command not supported in present state\n' }]);
    await expect(ipmiClient(target, { timeoutMs: 1000, retries: 2 }, refused.run).power('cycle')).rejects.toMatchObject({ code: 'refused' });
    expect(refused.calls).toHaveLength(1);
  });
});

describe('BMC credentials', () => {
  it('come from the environment first, then the secrets file, and say where they were looked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-secrets-'));
    try {
      const file = join(dir, 'secrets.json');
      writeFileSync(file, JSON.stringify({ 'rack-1': { username: 'file-user', password: 'file-pass' }, broken: { username: 'x' } }));
      expect(readCredentials('rack-1', file, {})).toEqual({ username: 'file-user', password: 'file-pass' });
      expect(readCredentials('rack-1', file, { XENBOOT_BMC_RACK_1_USERNAME: 'env-user', XENBOOT_BMC_RACK_1_PASSWORD: 'env-pass' })).toEqual({ username: 'env-user', password: 'env-pass' });
      expect(() => readCredentials('broken', file, {})).toThrow(/needs a username and a password/);
      expect(() => readCredentials('other', file, {})).toThrow(/no BMC credentials named "other".*XENBOOT_BMC_OTHER_USERNAME/);
      expect(() => readCredentials('rack-1', join(dir, 'missing.json'), {})).toThrow(/cannot read the secrets file .*ENOENT/);
      // The error never holds a password.
      try {
        readCredentials('broken', file, {});
      } catch (error) {
        expect(String(error)).not.toContain('file-pass');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
