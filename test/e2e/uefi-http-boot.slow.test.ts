/**
 * UEFI HTTP Boot: OVMF with its PXE clients switched off, so EDK2's HTTP Boot client asks DHCP with option
 * 60 `HTTPClient:Arch:00016…` (option 93 = 16) → xenboot answers with option 60 `HTTPClient` echoed and an
 * `http://` boot file URL (the host's `loader.httpX64: {family: ipxe}` choice) → the firmware downloads
 * `ipxe.efi` over HTTP → iPXE asks DHCP again and gets `boot.ipxe` → xen.efi with the generated `xen.cfg`
 * → dom0 marker. Nothing is fetched over TFTP.
 */
import { describe, expect, it } from 'vitest';
import { expectDhcpThenFiles, expectDom0UnderXen, expectXenEfiLoadedConfig, okHttpPaths } from './expect-boot.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { useUefiLab } from './uefi-lab.js';
import { DOM0_ARGS, LAB_HTTP_PORT, fetchTimeline, labConfig, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';

const MAC = '52:54:00:e2:2a:01';

describe('e2e: UEFI HTTP Boot (OVMF, no PXE, no TFTP) → iPXE EFI → xen.efi + xen.cfg → dom0', () => {
  const setup = useUefiLab(42);

  it('answers HTTPClient with an http:// URL, and the firmware HTTP-boots iPXE through to dom0', async () => {
    const { lab: l, assets, xenEfiRoot } = setup();
    const { root, profile } = xenEfiRoot('dom0-http-boot', 'http-boot');
    const config = labConfig(l, root, {
      inventory: {
        profiles: [profile],
        hosts: [{ mac: MAC, hostname: 'e2e-http-boot', profile: 'dom0-http-boot', loader: { httpX64: { family: 'ipxe' } } }],
      },
    });
    // No TFTP at all: the firmware, iPXE and xen.efi's files all come over HTTP.
    (config.tftp as Record<string, unknown>).enabled = false;
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'uefi-http', mac: MAC, name: 'http-boot', timeoutMs: 600_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=http-boot', 'BOOTIF=01-52-54-00-e2-2a-01']);
    // EDK2's HTTP Boot client, not PXE, loaded iPXE from the URL xenboot handed it.
    expect(result.serial).toContain('>>Start HTTP Boot over IPv4');
    expect(result.serial).not.toContain('>>Start PXE over IPv4');
    expect(result.serial).toContain(`URI: http://${l.serverIp}:${LAB_HTTP_PORT}/ipxe.efi`);
    expectXenEfiLoadedConfig(result);

    const events = await fetchTimeline(l, MAC);
    const summary = JSON.stringify(events.map((e) => [e.kind, e.messageType ?? e.path ?? e.file, e.reply ?? e.status ?? e.outcome, e.arch, e.bootFile]));
    // The firmware's own DHCP: HTTP Boot's vendor class and architecture 16, answered with the loader's URL.
    const firmwareAck = events.find((e) => e.kind === 'dhcp' && e.reply === 'ACK' && e.arch === 16);
    expect(firmwareAck, summary).toBeDefined();
    expect(String(firmwareAck!.vendorClass)).toMatch(/^HTTPClient:Arch:00016/);
    expect(firmwareAck!.bootFile).toBe(`http://${l.serverIp}:${LAB_HTTP_PORT}/ipxe.efi`);
    expectDhcpThenFiles(events, ['ipxe.efi', 'boot.ipxe', 'xen-cfg/01-52-54-00-e2-2a-01', 'linux/vmlinuz', 'linux/initrd.img', 'xen/xen.efi']);
    expect(okHttpPaths(events)).toContain('/ipxe.efi');
    expect(events.filter((e) => e.kind === 'tftp'), summary).toEqual([]);
  }, 720_000);
});
