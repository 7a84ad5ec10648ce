/**
 * Case 5: the domU path. A "dom0" namespace hangs off the lab bridge with its address on its own bridge
 * (`xenbr0`-style, the layout where only broadcast DHCP replies reach dom0, boot-protocols.md §1.3). In it:
 * - pypxeboot as xm runs it: udhcpc 0.9.8 leases an address for the domU's MAC (typed in upper case, as
 *   a Xen config may), then the pypxeboot TFTP sequence fetches `pxelinux.cfg/01-<MAC as typed>`, the
 *   initrd and the kernel from dom0's address;
 * - `xenboot-pvboot` as xl runs it (`--output`, `--output-format=simple0`, `--output-directory`,
 *   `bootloader_args`, disk last).
 * Both must get the profile's kernel, initrd and arguments, byte for byte.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Namespace } from '../../lab/netns.js';
import { createBridge } from '../../lab/netns.js';
import { requireCommands } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { apiBase, fetchMetrics, labConfig, labFiles, metricSum, startLabXenboot, waitForTimeline } from '../../lab/qemu/xenboot-lab.js';

const MAC_AS_TYPED = '00:16:3E:E2:05:01';
const MAC = MAC_AS_TYPED.toLowerCase();
const DOMU_ARGS = ['root=/dev/xvda1', 'console=hvc0', 'xenboot.case=domu', 'hostname=e2e-domu'];

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('e2e case 5: domU via pypxeboot (xm) and xenboot-pvboot (xl) from a dom0 on the bridge', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;
  let dom0: Namespace;

  beforeAll(async () => {
    await requireCommands('ip', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(5);
    const host = await lab.addHost(`${lab.address(2)}/24`);
    dom0 = host.ns;
    // Move dom0's address from its veth onto a bridge, like xenbr0 in a Xen dom0.
    await dom0.ip('addr', 'flush', 'dev', host.iface);
    const xenbr = await createBridge(dom0, `${lab.address(2)}/24`);
    await dom0.ip('link', 'set', host.iface, 'master', xenbr);
    await dom0.ip('route', 'add', 'default', 'via', lab.serverIp, 'dev', xenbr);
    await dom0.exec('ethtool', ['-K', xenbr, 'tx', 'off'], { timeoutMs: 10_000 });

    const root = lab.makeRoot('tftp', { ...labFiles(assets), 'domu/vmlinuz-6.1': assets.vmlinuz, 'domu/initrd.img-6.1': assets.initrd });
    const config = labConfig(lab, root, {
      inventory: {
        profiles: [
          {
            name: 'e2e-domu',
            kind: 'xen-domu',
            kernel: 'domu/vmlinuz-6.1',
            initrd: 'domu/initrd.img-6.1',
            args: ['root=/dev/xvda1', 'console=hvc0', 'xenboot.case=domu', 'hostname={{host.hostname}}'],
            disks: [{ target: '/dev/vg0/{{name}}' }],
          },
        ],
        hosts: [{ mac: MAC, hostname: 'e2e-domu', profile: 'e2e-domu' }],
      },
    });
    await startLabXenboot(lab, config);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('pypxeboot gets a broadcast lease for the domU MAC, then its config, initrd and kernel over TFTP', async () => {
    const l = lab!;
    const result = await dom0.exec(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/e2e/domu-client-main.ts'), MAC_AS_TYPED], {
      cwd: repoRoot,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      timeoutMs: 120_000,
    });
    const line = result.stdout.trim().split('\n').pop() ?? '{}';
    const run = JSON.parse(line) as {
      error?: string;
      lease: { ip: string; siaddr: string; ipTotalLength: number };
      requests: Array<{ name: string; found: boolean }>;
      sxp: string;
      kernel: { md5: string };
      ramdisk: { md5: string } | null;
    };
    expect(run.error, result.stderr).toBeUndefined();
    expect(run.lease.ip).toMatch(/^10\.205\.5\.1\d\d$/);
    expect(run.lease.siaddr).toBe(l.serverIp);
    expect(run.lease.ipTotalLength).toBeLessThanOrEqual(576);
    expect(run.requests).toEqual([
      { name: 'pxelinux.cfg/01-00-16-3E-E2-05-01', found: true },
      { name: 'domu/initrd.img-6.1', found: true },
      { name: 'domu/vmlinuz-6.1', found: true },
    ]);
    expect(run.kernel.md5).toBe(md5(readFileSync(assets.vmlinuz)));
    expect(run.ramdisk?.md5).toBe(md5(readFileSync(assets.initrd)));
    const args = /\(args '([^']*)'\)/.exec(run.sxp)?.[1]?.split(' ') ?? [];
    expect(new Set(args)).toEqual(new Set(DOMU_ARGS));
    expect(run.sxp).toMatch(/^linux \(kernel \/var\/lib\/xen\/vmlinuz-6\.1\)\(ramdisk \/var\/lib\/xen\/initrd\.img-6\.1\)/);

    const configName = 'pxelinux.cfg/01-00-16-3E-E2-05-01';
    const events = await waitForTimeline(l, MAC, (list) => list.some((e) => e.kind === 'tftp' && e.file === configName));
    const summary = JSON.stringify(events.map((e) => [e.kind, e.messageType ?? e.file ?? e.path, e.reply ?? e.outcome ?? e.status]));
    expect(events.some((e) => e.kind === 'dhcp' && e.reply === 'ACK'), summary).toBe(true);
    expect(events.some((e) => e.kind === 'tftp' && e.file === configName && e.outcome === 'complete'), summary).toBe(true);

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'e2e-domu', phase: 'dhcp-ack' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_tftp_transfers_total', { outcome: 'complete' })).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('xenboot-pvboot, called as xl calls it, writes kernel, ramdisk and args in simple0', async () => {
    const l = lab!;
    const outDir = join(l.workDir, 'xl-bootloader');
    mkdirSync(outDir, { recursive: true });
    const output = join(outDir, 'result');
    writeFileSync(output, ''); // libxl creates the output file before running the bootloader
    const result = await dom0.exec(
      process.execPath,
      [
        '--import', 'tsx', join(repoRoot, 'src/pvboot/cli.ts'),
        `--output=${output}`, '--output-format=simple0', `--output-directory=${outDir}`,
        `mac=${MAC_AS_TYPED}`, `--server=${apiBase(l)}`, '/dev/vg0/e2e-domu',
      ],
      { cwd: repoRoot, env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeoutMs: 120_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const items = readFileSync(output, 'utf8').split('\0').filter(Boolean);
    const item = (key: string) => items.find((i) => i.startsWith(`${key} `))?.slice(key.length + 1);
    const kernel = item('kernel');
    const ramdisk = item('ramdisk');
    expect(kernel && existsSync(kernel) && kernel.startsWith(outDir), JSON.stringify(items)).toBe(true);
    expect(ramdisk && existsSync(ramdisk) && ramdisk.startsWith(outDir), JSON.stringify(items)).toBe(true);
    expect(md5(readFileSync(kernel!))).toBe(md5(readFileSync(assets.vmlinuz)));
    expect(md5(readFileSync(ramdisk!))).toBe(md5(readFileSync(assets.initrd)));
    expect(new Set(item('args')?.split(' '))).toEqual(new Set(DOMU_ARGS));
  }, 180_000);
});
