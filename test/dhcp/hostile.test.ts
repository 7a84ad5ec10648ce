/**
 * Hostile input: 10,000 malformed datagrams (noise, truncation, options past the end, overload loops)
 * sent to xenboot while a real client (busybox udhcpc) keeps asking for leases. The server must stay up,
 * drop and count the bad packets, and keep answering.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { envScript, lastEnv, startLab, type DhcpLab } from './lab.js';

describe('hostile input', () => {
  let lab: DhcpLab;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox');
    lab = await startLab('10.202.50.1/24', {
      server: { address: '10.202.50.1' },
      dhcp: { mode: 'full', subnet: '10.202.50.0/24', ranges: [{ start: '10.202.50.100', end: '10.202.50.250' }] },
    });
    await lab.client.ip('addr', 'add', '10.202.50.2/24', 'dev', lab.clientIf);
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('keeps answering a real client during and after 10,000 hostile datagrams', async () => {
    const flood = lab.client.spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'dhcp', 'flood.ts'), '10.202.50.1', '67', '10000', '42'], { cwd: repoRoot });
    await flood.waitFor(/started/, 20_000);
    const leases: string[] = [];
    for (let round = 0; round < 3; round++) {
      const { script, file } = envScript(lab.dir, `good${round}`);
      const result = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', lab.clientIf, '-s', script, '-t', '5', '-T', '1', '-A', '1', '-x', `0x3d:01020000000${round}aa`], { timeoutMs: 30_000 });
      expect(result.stderr, result.stderr).toMatch(/lease of 10\.202\.50\.\d+ obtained/);
      leases.push(lastEnv(readFileSync(file, 'utf8'), /EVENT=bound/).ip ?? '');
    }
    // The good clients were served while the flood was still running.
    expect(flood.output()).not.toMatch(/sent 10000/);
    await flood.waitFor(/sent 10000/, 60_000);
    const after = envScript(lab.dir, 'after');
    const last = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', lab.clientIf, '-s', after.script, '-t', '3', '-T', '1'], { timeoutMs: 30_000 });
    expect(last.stderr).toMatch(/lease of 10\.202\.50\.\d+ obtained/);
    expect(leases.every((ip) => /^10\.202\.50\.\d+$/.test(ip))).toBe(true);
    expect(lab.xenboot.child.exitCode).toBeNull();
    const dropped = lab.xenboot.output().split('\n').filter((l) => l.includes('malformed DHCP packet dropped')).length;
    expect(dropped).toBeGreaterThan(5_000);
  });
});
