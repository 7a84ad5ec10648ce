import { describe, expect, it } from 'vitest';
import { explainDepsFor } from '../../src/explain/deps.js';
import { explainMachine, formatExplanation } from '../../src/explain/explain.js';
import { bootServiceFromConfig } from '../../src/boot-service.js';
import { buildConfig } from '../../src/config/load.js';
import { runCommand } from '../../lab/process.js';
import { writeTempConfig, xenbootCommand } from '../../lab/xenboot.js';

const inventory = {
  profiles: [
    {
      name: 'xen-diskless',
      kind: 'xen-dom0',
      xen: { image: 'xen.gz', uncompressed: 'xen', args: ['dom0_mem=512M'] },
      dom0: { kernel: 'vmlinuz', args: ['console=hvc0'], initrds: ['initrd.img'] },
    },
    { name: 'domu', kind: 'xen-domu', kernel: 'domu/vmlinuz', initrd: 'domu/initrd.img', args: ['root=/dev/xvda1'], disks: [{ target: '/dev/vg0/{{name}}' }] },
  ],
  hosts: [
    { mac: '52:54:00:12:34:56', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', hostname: 'xen1', ip: '10.99.0.123', labels: { role: 'dom0', rack: 'r1' } },
    { mac: '00:16:3e:11:22:33', profile: 'domu', ip: '10.99.0.156' },
  ],
  groups: [
    { name: 'dom0s', selector: { role: 'dom0' }, profile: 'xen-diskless' },
    { name: 'rack1', selector: { role: 'dom0', rack: 'r1' }, vars: { site: 'a' } },
  ],
};
const rawConfig = { server: { address: '10.99.0.1' }, dhcp: { mode: 'full', subnet: '10.99.0.0/24', ranges: [{ start: '10.99.0.100', end: '10.99.0.199' }] }, store: { kind: 'memory' }, inventory };

async function explain(query: Parameters<typeof explainMachine>[0], unknown?: unknown) {
  const result = buildConfig(unknown ? { ...rawConfig, inventory: { ...inventory, unknown } } : rawConfig, { baseDir: '/', privileged: false });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const boot = await bootServiceFromConfig(result.config);
  return explainMachine(query, explainDepsFor(result.config, boot));
}

describe('explain', () => {
  it('a grouped machine: host, groups most specific first, the selected one, DHCP fields, files until the first hit', async () => {
    const text = formatExplanation(await explain({ mac: '52-54-00-12-34-56', uuid: '085994b8-a6d6-a941-611d-74a6ab80b83d', arch: 0 }));
    expect(text).toBe(
      [
        'machine   52:54:00:12:34:56 uuid 085994b8-a6d6-a941-611d-74a6ab80b83d firmware bios (arch 0) → boots as pxelinux',
        'host      52:54:00:12:34:56 (matched by mac) hostname xen1 ip 10.99.0.123 labels role=dom0,rack=r1',
        'group     rack1 [role=dom0,rack=r1]',
        'group     dom0s [role=dom0] profile xen-diskless  ← selected',
        'profile   xen-diskless (xen-dom0) from group "dom0s"',
        'why       no profile on the host; group "dom0s" is the most specific matching group with a profile',
        'dhcp      yiaddr 10.99.0.123, file pxelinux.0 (by dhcp.boot.bios), hostname xen1',
        'files',
        '  tftp pxelinux.cfg/085994b8-a6d6-a941-611d-74a6ab80b83d: rendered  (host 52:54:00:12:34:56, profile "xen-diskless" from group "dom0s")',
        '      | # xenboot: xen-diskless for 52:54:00:12:34:56 (xen-dom0, PXELINUX + mboot.c32)',
        '      | DEFAULT xen',
        '      | PROMPT 0',
        '      | TIMEOUT 10',
        '      | LABEL xen',
        '      |   KERNEL mboot.c32',
        '      |   APPEND xen.gz dom0_mem=512M --- vmlinuz console=hvc0 BOOTIF=01-52-54-00-12-34-56 --- initrd.img',
        '',
      ].join('\n'),
    );
  });

  it('a known domU: pypxeboot names, the per-MAC file', async () => {
    const e = await explain({ mac: '00:16:3e:11:22:33' });
    expect(e.client).toBe('pypxeboot');
    expect(e.profile).toEqual({ name: 'domu', kind: 'xen-domu', source: 'host' });
    expect(e.files.map((f) => [f.path, f.result])).toEqual([['pxelinux.cfg/01-00-16-3e-11-22-33', 'text']]);
  });

  it('an unknown machine: no profile, no DHCP boot answer, every name not found', async () => {
    const e = await explain({ mac: '52:54:00:99:99:99', arch: 0, ip: '10.99.0.150' });
    expect(e.host).toBeNull();
    expect(e.profile).toBeNull();
    expect(e.dhcp).toBeNull();
    expect(e.reason).toMatch(/unknown machines get nothing/);
    expect(e.files.map((f) => f.path)).toEqual([
      'pxelinux.cfg/01-52-54-00-99-99-99',
      'pxelinux.cfg/0A630096',
      'pxelinux.cfg/0A63009',
      'pxelinux.cfg/0A6300',
      'pxelinux.cfg/0A630',
      'pxelinux.cfg/0A63',
      'pxelinux.cfg/0A6',
      'pxelinux.cfg/0A',
      'pxelinux.cfg/0',
      'pxelinux.cfg/default',
    ]);
    expect(new Set(e.files.map((f) => f.result))).toEqual(new Set(['not-found']));
  });

  it('an unknown machine with unknown.boot: localboot, as iPXE on UEFI', async () => {
    const e = await explain({ mac: '52:54:00:99:99:99', arch: 7, userClass: 'iPXE' }, { boot: 'localboot' });
    expect(e.profile).toEqual({ name: 'localboot', kind: 'localboot', source: 'unknown-machine policy' });
    expect(e.dhcp?.bootFile).toMatch(/^http:\/\/10\.99\.0\.1:8080\/boot\.ipxe\?mac=/);
    expect(e.files).toEqual([
      expect.objectContaining({ path: 'ipxe/efi/01-52-54-00-99-99-99.ipxe', via: 'http', result: 'text', text: '#!ipxe\n# xenboot: localboot for 52:54:00:99:99:99 (unknown machine) (localboot)\nexit\n' }),
    ]);
  });

  it('the CLI prints the same, exits 2 on a bad MAC', async () => {
    const path = writeTempConfig(rawConfig);
    const [cmd, args] = xenbootCommand('explain', '--config', path, '--mac', '00:16:3E:11:22:33');
    const ok = await runCommand(cmd, args, { timeoutMs: 30_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('profile   domu (xen-domu) from host');
    expect(ok.stdout).toContain('  tftp pxelinux.cfg/01-00-16-3e-11-22-33: rendered');
    const [cmd2, args2] = xenbootCommand('explain', '--config', path, '--mac', 'nope');
    const bad = await runCommand(cmd2, args2, { timeoutMs: 30_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope is not a MAC address');
    await expect(explain({ mac: '52:54:00:12:34:56', ip: '10.0.0.300' })).rejects.toThrow('10.0.0.300 is not an IPv4 address');
    await expect(explain({ mac: '52:54:00:12:34:56', uuid: 'x' })).rejects.toThrow('x is not a UUID');
  });

  it('--ip on one of dhcp.networks: the DHCP answer names that network\'s URL', async () => {
    // 127.0.0.1 is on lo on every machine: the network check finds it.
    const networked = { ...rawConfig, dhcp: { ...rawConfig.dhcp, networks: [{ serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', ranges: [{ start: '127.0.0.100', end: '127.0.0.199' }] }] } };
    const result = buildConfig(networked, { baseDir: '/', privileged: false });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const deps = explainDepsFor(result.config, await bootServiceFromConfig(result.config));
    const script = '/boot.ipxe?mac=${net0/mac}&uuid=${uuid}&arch=${buildarch}';
    const onB = await explainMachine({ mac: '52:54:00:12:34:56', arch: 0, userClass: 'iPXE', ip: '127.0.0.150' }, deps);
    expect(onB.dhcp?.bootFile).toBe(`http://127.0.0.1:8080${script}`);
    const onA = await explainMachine({ mac: '52:54:00:12:34:56', arch: 0, userClass: 'iPXE', ip: '10.99.0.123' }, deps);
    expect(onA.dhcp?.bootFile).toBe(`http://10.99.0.1:8080${script}`);
  });
});

