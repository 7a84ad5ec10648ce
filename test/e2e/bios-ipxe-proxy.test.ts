/**
 * Case 6: proxy mode beside a site DHCP server. dnsmasq, in its own namespace on the lab bridge, hands out
 * addresses and nothing else (the site's server); xenboot in `dhcp.mode: proxy` only adds the boot
 * information (DESIGN.md decision 4). QEMU's iPXE ROM merges the two offers (boot-protocols.md §2.2), takes
 * its address from dnsmasq and the script URL from xenboot, and boots Xen over HTTP to the dom0 marker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { expectDom0UnderXen, okHttpPaths } from './expect-boot.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchTimeline, labConfig, labFiles, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { startSiteDhcp } from '../../lab/qemu/dnsmasq.js';

const MAC = '52:54:00:e2:06:01';

describe('e2e case 6: proxy DHCP beside a site DHCP server → iPXE → HTTP boot.ipxe → Xen → dom0', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage', 'dnsmasq');
    assets = await ensureBootAssets();
    lab = await BootLab.create(6);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('gets its address from the site server and its boot script from xenboot, which assigns nothing', async () => {
    const l = lab!;
    const root = l.makeRoot('tftp', labFiles(assets));

    // The site's DHCP server: addresses only, no boot file, no TFTP.
    const { iface: siteIface, dnsmasq: siteDhcp } = await startSiteDhcp(l);

    const base = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-proxy', 'proxy')],
        hosts: [{ mac: MAC, hostname: 'e2e-proxy', profile: 'dom0-proxy' }],
      },
    });
    const config = { ...base, dhcp: { mode: 'proxy', allowUnknown: false } };
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, name: 'proxy', timeoutMs: 360_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=proxy', 'BOOTIF=01-52-54-00-e2-06-01']);
    expect(result.serial).toMatch(/\(XEN\) Bootloader: iPXE/);

    // The address came from the site server's pool…
    expect(siteDhcp.output()).toMatch(new RegExp(`DHCPACK\\(${siteIface}\\) 10\\.205\\.6\\.15\\d ${MAC}`));
    // …and xenboot answered as a proxy: DHCP events without an address, then the script and files by HTTP.
    const events = await fetchTimeline(l, MAC);
    const dhcp = events.filter((e) => e.kind === 'dhcp' && e.reply !== null);
    expect(dhcp.length).toBeGreaterThanOrEqual(1);
    for (const e of dhcp) expect(e.yiaddr ?? '0.0.0.0').toBe('0.0.0.0');
    const fetched = okHttpPaths(events);
    expect(fetched.some((p) => p.startsWith('/boot.ipxe'))).toBe(true);
    for (const file of ['/xen/xen', '/linux/vmlinuz', '/linux/initrd.img']) expect(fetched).toContain(file);
  }, 540_000);
});
