/**
 * Case 4: a plain `linux` profile boots the Debian kernel and marker initramfs without Xen; a host with
 * the `localboot` profile and a machine that is not in the inventory get nothing to boot from the network
 * and move on (the BIOS falls through to "no bootable device", so QEMU exits by itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { DOM0_MARKER, ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { completedTftpFiles, expectDhcpThenFiles, expectLinuxWithoutXen, okHttpPaths } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest, tail } from '../../lab/qemu/qemu.js';
import { fetchMetrics, fetchTimeline, labConfig, labFiles, metricSum, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const LINUX_MAC = '52:54:00:e2:04:01';
const LOCALBOOT_MAC = '52:54:00:e2:04:02';
const UNKNOWN_MAC = '52:54:00:e2:04:03';

describe('e2e case 4: linux profile, localboot host, unknown machine', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(4);
    const root = lab.makeRoot('tftp', labFiles(assets));
    const config = labConfig(lab, root, {
      inventory: {
        profiles: [
          {
            name: 'plain-linux',
            kind: 'linux',
            kernel: 'linux/vmlinuz',
            initrds: ['linux/initrd.img'],
            args: ['console=ttyS0,115200', 'rdinit=/init', 'panic=10', 'xenboot.case=linux'],
          },
          { name: 'disk', kind: 'localboot' },
        ],
        hosts: [
          { mac: LINUX_MAC, hostname: 'e2e-linux', profile: 'plain-linux' },
          { mac: LOCALBOOT_MAC, hostname: 'e2e-localboot', profile: 'disk' },
        ],
        unknown: { boot: 'nothing' },
      },
    });
    await startLabXenboot(lab, config);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('boots a linux profile without Xen, with its arguments', async () => {
    const l = lab!;
    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: LINUX_MAC, name: 'linux', timeoutMs: 300_000 });
    expectLinuxWithoutXen(result, ['console=ttyS0,115200', 'rdinit=/init', 'panic=10', 'xenboot.case=linux']);
    const events = await fetchTimeline(l, LINUX_MAC);
    expectDhcpThenFiles(events, ['linux/vmlinuz', 'linux/initrd.img']);
  }, 360_000);

  it('a localboot host gets a script that leaves the network boot, and the BIOS moves on', async () => {
    const l = lab!;
    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: LOCALBOOT_MAC, name: 'localboot', timeoutMs: 180_000 });
    expect(result.timedOut, `guest did not move on:\n${tail(result.firmwareLog)}`).toBe(false);
    expect(result.serial).not.toContain(DOM0_MARKER);
    expect(result.firmwareLog).toMatch(/No bootable device|Boot failed/);
    const events = await fetchTimeline(l, LOCALBOOT_MAC);
    expect(events.some((e) => e.kind === 'dhcp' && e.reply === 'ACK')).toBe(true);
    // It fetched its script and nothing else.
    expect(okHttpPaths(events).some((p) => p.startsWith('/boot.ipxe') || p.includes('ipxe'))).toBe(true);
    expect(completedTftpFiles(events).filter((f) => /vmlinuz|initrd|xen/.test(f))).toEqual([]);
  }, 240_000);

  it('an unknown machine gets no boot file and moves on', async () => {
    const l = lab!;
    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: UNKNOWN_MAC, name: 'unknown', timeoutMs: 180_000 });
    expect(result.timedOut, `guest did not move on:\n${tail(result.firmwareLog)}`).toBe(false);
    expect(result.serial).not.toContain(DOM0_MARKER);
    expect(result.firmwareLog).toMatch(/No bootable device|Boot failed/);
    const events = await fetchTimeline(l, UNKNOWN_MAC);
    const fetched = [...completedTftpFiles(events), ...okHttpPaths(events)];
    expect(fetched.filter((f) => /vmlinuz|initrd|xen|pxelinux/.test(f)), JSON.stringify(events)).toEqual([]);

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'plain-linux', phase: 'http' })).toBeGreaterThanOrEqual(2);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'unknown', phase: 'tftp' })).toBe(0);
  }, 240_000);
});
