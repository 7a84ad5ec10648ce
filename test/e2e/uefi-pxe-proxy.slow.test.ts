/**
 * EDK2's own PXE through proxyDHCP: OVMF (virtio-net, no iPXE ROM) beside a site DHCP server (dnsmasq in
 * its own namespace, addresses only). xenboot in `dhcp.mode: proxy` answers the PXE DISCOVER on port 67
 * with a proxy offer (no address, option 60 `PXEClient`); EDK2 takes its address from dnsmasq and then asks
 * xenboot for the boot file with a DHCPREQUEST to port 4011 (PXE 2.1 §2.2.2), acknowledged with
 * `grubx64.efi` → GRUB over TFTP → its per-MAC config → Xen (multiboot2) → dom0 marker.
 *
 * GRUB 2.06 configures its network from the firmware's DHCP ACK only (the site server's, which names no
 * boot server), so the GRUB image of a proxyDHCP site carries the boot server in its prefix:
 * `(tftp,<xenboot>)/grub` (`buildGrubNetImage`; docs/profiles.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { ensureUefiAssets, buildGrubNetImage, type UefiAssets } from '../../lab/qemu/uefi-assets.js';
import { completedTftpFiles, expectDhcpThenFiles, expectDom0UnderXen } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchTimeline, labConfig, labFiles, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { startSiteDhcp } from '../../lab/qemu/dnsmasq.js';

const MAC = '52:54:00:e2:29:01';

describe('e2e: UEFI (OVMF PXE) through proxyDHCP beside a site DHCP server → GRUB → Xen → dom0', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;
  let uefi: UefiAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage', 'dnsmasq');
    assets = await ensureBootAssets();
    uefi = await ensureUefiAssets();
    lab = await BootLab.create(41);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('takes its address from the site server and its boot file from xenboot on port 4011', async () => {
    const l = lab!;
    const grub = await buildGrubNetImage(uefi, `(tftp,${l.serverIp})/grub`, `${l.workDir}/grubx64-proxy.efi`);
    const root = l.makeRoot('tftp', { ...labFiles(assets), 'grubx64.efi': grub });

    // The site's DHCP server: addresses only, no boot file, no TFTP.
    const { iface: siteIface, dnsmasq: siteDhcp } = await startSiteDhcp(l);

    const base = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-uefi-proxy', 'uefi-proxy')],
        hosts: [{ mac: MAC, hostname: 'e2e-uefi-proxy', profile: 'dom0-uefi-proxy' }],
      },
      dhcpBoot: { efiX64: 'grubx64.efi' },
    });
    const config = { ...base, dhcp: { mode: 'proxy', allowUnknown: false, boot: { efiX64: 'grubx64.efi' } } };
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'uefi-pxe', mac: MAC, name: 'uefi-proxy', timeoutMs: 600_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=uefi-proxy']);
    expect(result.serial).toMatch(/\(XEN\) Bootloader: GRUB/);
    expect(result.serial).toContain('>>Start PXE over IPv4');

    // The address came from the site server's pool…
    const leased = new RegExp(`DHCPACK\\(${siteIface}\\) (10\\.205\\.41\\.15\\d) ${MAC}`).exec(siteDhcp.output());
    expect(leased, siteDhcp.output()).not.toBeNull();
    const address = leased![1]!;
    // …xenboot offered boot information only, then acknowledged the firmware's REQUEST on port 4011, sent
    // from that address (ciaddr), with the boot file; it assigned nothing.
    const events = await fetchTimeline(l, MAC);
    const summary = JSON.stringify(events.map((e) => [e.kind, e.messageType ?? e.path ?? e.file, e.reply ?? e.status ?? e.outcome, e.ip, e.reason]));
    const dhcp = events.filter((e) => e.kind === 'dhcp');
    expect(dhcp.some((e) => e.messageType === 'DISCOVER' && e.reply === 'OFFER' && e.reason === 'proxy offer'), summary).toBe(true);
    const bootServerAck = dhcp.find((e) => e.messageType === 'REQUEST' && e.reply === 'ACK' && e.reason === 'proxy boot server');
    expect(bootServerAck, summary).toBeDefined();
    expect(bootServerAck!.ip).toBe(address);
    expect(bootServerAck!.bootFile).toBe('grubx64.efi');
    for (const e of dhcp) expect(e.yiaddr, summary).toBeUndefined();
    // The files, fetched over TFTP from the site's address, are in the machine's timeline.
    expectDhcpThenFiles(events, ['grubx64.efi', 'grub/grub.cfg-01-52-54-00-e2-29-01', 'xen/xen.gz', 'linux/vmlinuz', 'linux/initrd.img']);
    expect(completedTftpFiles(events)).toContain('grub/grub.cfg-01-52-54-00-e2-29-01');
    for (const e of events.filter((e) => e.kind === 'tftp')) expect(e.ip).toBe(address);
  }, 720_000);
});
