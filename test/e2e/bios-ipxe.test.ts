/**
 * Case 2: SeaBIOS + QEMU's iPXE ROM → xenboot DHCP (iPXE recognised by user-class / option 175) → HTTP
 * `boot.ipxe` → the machine's generated script (`kernel` Xen uncompressed + `module` kernel and initrd,
 * boot-protocols.md §3.4) → Xen → dom0 marker with the profile's arguments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { expectDhcpThenFiles, expectDom0UnderXen, okHttpPaths } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchMetrics, fetchTimeline, labConfig, labFiles, metricSum, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const MAC = '52:54:00:e2:02:01';

describe('e2e case 2: BIOS iPXE ROM → HTTP boot.ipxe → Xen → dom0', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(2);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('boots Xen from the iPXE script with the profile arguments, and the timeline and counters show it', async () => {
    const l = lab!;
    const root = l.makeRoot('tftp', labFiles(assets));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-ipxe', 'ipxe')],
        hosts: [{ mac: MAC, hostname: 'e2e-ipxe', profile: 'dom0-ipxe' }],
      },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, name: 'ipxe', timeoutMs: 360_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=ipxe', 'BOOTIF=01-52-54-00-e2-02-01']);
    expect(result.serial).toMatch(/\(XEN\) Bootloader: iPXE/);

    const events = await fetchTimeline(l, MAC);
    expectDhcpThenFiles(events, ['boot.ipxe', 'xen/xen', 'linux/vmlinuz', 'linux/initrd.img']);
    expect(okHttpPaths(events).some((p) => p.startsWith('/boot.ipxe'))).toBe(true);

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_dhcp_messages_total', { type: 'REQUEST', reply: 'ACK' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-ipxe', phase: 'dhcp-ack' })).toBeGreaterThanOrEqual(1);
    // boot.ipxe (and the per-machine script it chains to), Xen, the kernel and the initrd.
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-ipxe', phase: 'http' })).toBeGreaterThanOrEqual(4);
  }, 540_000);
});
