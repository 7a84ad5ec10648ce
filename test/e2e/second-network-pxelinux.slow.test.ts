/**
 * A PXE boot on the second of two boot networks served by one xenboot: the lab's namespace holds two
 * bridges, 10.209.0.0/24 (the network of `server.address`) and 10.210.0.0/24 (`dhcp.networks[0]`); a
 * SeaBIOS + iPXE ROM guest on the second bridge must get an address of that network with its router, and
 * that network's server address as siaddr and option 54, fetch PXELINUX and every boot file over TFTP
 * from that address, and boot Xen and dom0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest, tail } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, dom0Profile, fetchTimeline, labConfig, labFiles, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { expectDhcpThenFiles, expectDom0UnderXen } from './expect-boot.js';

const MAC = '52:54:00:e2:21:02';
const SECOND = { server: '10.210.0.1', router: '10.210.0.254', subnet: '10.210.0.0/24' };

describe('e2e: PXE boot on the second of two networks served by one process', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;
  let secondBridge: string;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    assets = await ensureBootAssets();
    lab = await BootLab.create(0, { subnet: '10.209.0', netnsPrefix: 'xmn' });
    secondBridge = await lab.addBridge(`${SECOND.server}/24`);
  }, 600_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('the guest on the second bridge is answered for that network and boots Xen and dom0 from its address', async () => {
    const l = lab!;
    const root = l.makeRoot('tftp', labFiles(assets));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [dom0Profile('dom0-second-network', 'second-network')],
        hosts: [{ mac: MAC, hostname: 'e2e-second-network', profile: 'dom0-second-network' }],
      },
      dhcpBoot: { ipxeScript: 'pxelinux.0' },
    }) as { dhcp: Record<string, unknown>; http: Record<string, unknown> };
    config.dhcp.networks = [{ interface: secondBridge, serverAddress: SECOND.server, subnet: SECOND.subnet, ranges: [{ start: '10.210.0.100', end: '10.210.0.199' }], router: SECOND.router }];
    // HTTP on every server address (the lab's config pins it to the first one).
    delete config.http.address;
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, name: 'second-network', bridge: secondBridge, timeoutMs: 420_000 });
    expectDom0UnderXen(result, [...DOM0_ARGS, 'xenboot.case=second-network']);

    const events = await fetchTimeline(l, MAC);
    expectDhcpThenFiles(events, ['pxelinux.0', 'ldlinux.c32', 'pxelinux.cfg/01-52-54-00-e2-21-02', 'mboot.c32', 'xen/xen.gz', 'linux/vmlinuz', 'linux/initrd.img']);
    const acks = events.filter((e) => e.kind === 'dhcp' && e.reply === 'ACK');
    expect(acks.length).toBeGreaterThanOrEqual(1);
    for (const ack of acks) expect(String(ack.yiaddr)).toMatch(/^10\.210\.0\.1\d\d$/);
    // Every file came over TFTP from the second network's address (siaddr), to the address DHCP gave.
    const transfers = events.filter((e) => e.kind === 'tftp');
    expect(transfers.length, tail(result.serial, 20)).toBeGreaterThanOrEqual(7);
    for (const transfer of transfers) expect(transfer).toMatchObject({ serverIp: SECOND.server, ip: acks.at(-1)!.yiaddr });
    // The console's API answers on the second network's address too.
    const health = await l.httpGet(`http://${SECOND.server}:8080/healthz`);
    expect(health.status).toBe(200);
  }, 600_000);
});
