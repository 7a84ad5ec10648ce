/**
 * Case 1: SeaBIOS + QEMU's iPXE ROM → xenboot DHCP → pxelinux.0 → generated pxelinux.cfg → mboot.c32 →
 * Xen → dom0 prints the marker with the dom0 arguments the profile asked for. QEMU's ROM is iPXE, so
 * `dhcp.boot.ipxeScript` hands it `pxelinux.0` instead of a script (what a site that standardises on
 * PXELINUX configures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { completedTftpFiles, expectDhcpThenFiles, expectDom0UnderXen } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchMetrics, fetchTimeline, labConfig, labFiles, metricSum, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const MAC = '52:54:00:e2:01:01';

describe('e2e case 1: BIOS iPXE ROM → PXELINUX → mboot.c32 → Xen → dom0', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(1);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('boots Xen and dom0 with the profile arguments, and the timeline and counters show it', async () => {
    const l = lab!;
    const root = l.makeRoot('tftp', labFiles(assets));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-pxelinux', 'pxelinux')],
        hosts: [{ mac: MAC, hostname: 'e2e-pxelinux', profile: 'dom0-pxelinux' }],
      },
      dhcpBoot: { ipxeScript: 'pxelinux.0' },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', name: 'pxelinux', timeoutMs: 360_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=pxelinux', 'BOOTIF=01-52-54-00-e2-01-01']);
    expect(result.serial).toMatch(/\(XEN\) Bootloader: PXELINUX/);

    const events = await fetchTimeline(l, MAC);
    expectDhcpThenFiles(events, ['pxelinux.0', 'ldlinux.c32', 'pxelinux.cfg/01-52-54-00-e2-01-01', 'mboot.c32', 'libcom32.c32', 'xen/xen.gz', 'linux/vmlinuz', 'linux/initrd.img']);
    // PXELINUX asked for the UUID name first; the host has no UUID, so it was answered "not found" at once.
    expect(events.some((e) => e.kind === 'tftp' && /^pxelinux\.cfg\/085994b8-/.test(String(e.file)) && e.outcome === 'not-found')).toBe(true);
    expect(completedTftpFiles(events).filter((f) => f.startsWith('pxelinux.cfg/'))).toEqual(['pxelinux.cfg/01-52-54-00-e2-01-01']);

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_dhcp_messages_total', { type: 'REQUEST', reply: 'ACK' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_tftp_transfers_total', { outcome: 'complete' })).toBeGreaterThanOrEqual(8);
    expect(metricSum(metrics, 'xenboot_tftp_transfers_total', { outcome: 'not-found' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-pxelinux', phase: 'dhcp-ack' })).toBeGreaterThanOrEqual(1);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-pxelinux', phase: 'tftp' })).toBeGreaterThanOrEqual(8);
  }, 540_000);
});
