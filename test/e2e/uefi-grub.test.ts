/**
 * Case 3: OVMF's own UEFI PXE (no iPXE ROM) → xenboot DHCP (option 93 = 7) → a GRUB x86_64-efi net image
 * with multiboot2, built from Debian's modules → generated `grub/grub.cfg-01-<mac>` → Xen (multiboot2) →
 * dom0 marker with the profile's arguments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { completedTftpFiles, expectDhcpThenFiles, expectDom0UnderXen } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchMetrics, fetchTimeline, labConfig, labFiles, metricSum, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const MAC = '52:54:00:e2:03:01';

describe('e2e case 3: UEFI (OVMF) → GRUB2 multiboot2 → Xen → dom0', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(3);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('boots Xen through GRUB with the profile arguments, and the timeline and counters show it', async () => {
    const l = lab!;
    const root = l.makeRoot('tftp', labFiles(assets));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-grub', 'grub')],
        hosts: [{ mac: MAC, hostname: 'e2e-grub', profile: 'dom0-grub' }],
      },
      dhcpBoot: { efiX64: 'grubx64.efi' },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'uefi-pxe', mac: MAC, name: 'grub', timeoutMs: 420_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=grub', 'BOOTIF=01-52-54-00-e2-03-01']);
    expect(result.serial).toMatch(/\(XEN\) Bootloader: GRUB/);

    const events = await fetchTimeline(l, MAC);
    expectDhcpThenFiles(events, ['grubx64.efi', 'grub/grub.cfg-01-52-54-00-e2-03-01', 'xen/xen.gz', 'linux/vmlinuz', 'linux/initrd.img']);
    expect(events.find((e) => e.kind === 'dhcp' && e.reply === 'ACK')?.arch).toBe(7);
    expect(completedTftpFiles(events)).toContain('grub/grub.cfg-01-52-54-00-e2-03-01');

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_dhcp_messages_total', { type: 'REQUEST', reply: 'ACK' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_tftp_transfers_total', { outcome: 'complete' })).toBeGreaterThanOrEqual(5);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-grub', phase: 'tftp' })).toBeGreaterThanOrEqual(5);
  }, 540_000);
});
