/**
 * UEFI iPXE → xen.efi: OVMF's own PXE (no iPXE ROM) → xenboot DHCP (option 93 = 7) → `ipxe.efi` over TFTP
 * (`dhcp.boot.efiX64`) → iPXE asks DHCP again (user class "iPXE") and gets `boot.ipxe` → the machine's
 * generated UEFI script fetches `xen.cfg` (xenboot's `xen-cfg/01-<mac>`), the dom0 kernel and initrd into
 * iPXE's virtual file system and chains `xen.efi` → Xen reads `xen.cfg` → dom0 marker with the profile's
 * arguments.
 */
import { describe, expect, it } from 'vitest';
import { completedTftpFiles, expectDhcpThenFiles, expectDom0UnderXen, expectXenEfiLoadedConfig, okHttpPaths } from './expect-boot.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { useUefiLab } from './uefi-lab.js';
import { DOM0_ARGS, fetchMetrics, fetchTimeline, labConfig, metricSum, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const MAC = '52:54:00:e2:28:01';

describe('e2e: UEFI (OVMF PXE) → iPXE EFI → xen.efi + generated xen.cfg → dom0', () => {
  const setup = useUefiLab(40);

  it('chains xen.efi from the UEFI iPXE script, and Xen boots dom0 from the generated xen.cfg', async () => {
    const { lab: l, assets, xenEfiRoot } = setup();
    const { root, profile } = xenEfiRoot('dom0-xen-efi', 'xen-efi');
    const config = labConfig(l, root, {
      inventory: { profiles: [profile], hosts: [{ mac: MAC, hostname: 'e2e-xen-efi', profile: 'dom0-xen-efi' }] },
      dhcpBoot: { efiX64: 'ipxe.efi' },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'uefi-pxe', mac: MAC, name: 'xen-efi', timeoutMs: 600_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=xen-efi', 'BOOTIF=01-52-54-00-e2-28-01']);
    // xen.efi, not a multiboot loader, started Xen, and read the generated xen.cfg from iPXE's images.
    expectXenEfiLoadedConfig(result);

    const events = await fetchTimeline(l, MAC);
    expectDhcpThenFiles(events, ['ipxe.efi', 'boot.ipxe', 'xen-cfg/01-52-54-00-e2-28-01', 'linux/vmlinuz', 'linux/initrd.img', 'xen/xen.efi']);
    // The firmware loads iPXE over TFTP; iPXE fetches everything else over HTTP.
    expect(completedTftpFiles(events)).toEqual(['ipxe.efi']);
    const fetched = okHttpPaths(events);
    // The script: `boot.ipxe?mac=…&arch=…` answered with the machine's UEFI render (platform from arch).
    expect(fetched.some((p) => p.startsWith('/boot.ipxe?') && p.includes('arch=x86_64')), fetched.join(' ')).toBe(true);
    expect(fetched).toContain('/xen-cfg/01-52-54-00-e2-28-01');
    // Two DHCP conversations: the firmware's (arch 7, handed ipxe.efi) and iPXE's (handed the script).
    const acks = events.filter((e) => e.kind === 'dhcp' && e.reply === 'ACK');
    expect(acks.some((e) => e.bootFile === 'ipxe.efi' && e.arch === 7)).toBe(true);
    expect(acks.some((e) => String(e.bootFile).includes('boot.ipxe'))).toBe(true);

    const metrics = await fetchMetrics(l);
    expect(metricSum(metrics, 'xenboot_boot_phase_total', { profile: 'dom0-xen-efi', phase: 'http' })).toBeGreaterThanOrEqual(4);
  }, 720_000);
});
