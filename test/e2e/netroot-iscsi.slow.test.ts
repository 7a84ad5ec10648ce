/**
 * iSCSI root, logged in by the dom0 initramfs from the kernel command line (`style: initramfs`): QEMU
 * BIOS (iPXE ROM) → xenboot DHCP → PXELINUX → mboot.c32 → Xen → Debian's dom0 kernel and the initramfs
 * Debian's mkinitramfs makes with open-iscsi installed. The initramfs gets an address by DHCP on the boot
 * NIC (BOOTIF), `iscsistart` logs in to tgt on the lab network with the target xenboot rendered, finds the
 * LUN's disk, mounts it and runs its `/sbin/init`, which prints a marker that exists only in that disk
 * image, the root mount and /proc/cmdline, then powers off.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeExt4Image } from '../../lab/qemu/netroot-tree.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { startIscsiTarget } from '../../lab/qemu/tgt.js';
import { fetchTimeline, labConfig, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { expectNetrootBooted, expectNetrootTimeline, netrootFiles, netrootProfile, renderedPxelinuxDom0Args, useNetrootLab } from './netroot-boot.js';

const MAC = '52:54:00:e2:15:01';
const LAB_OCTET = 21;
const TARGET_HOST = 2;
const IQN = 'iqn.2024-01.org.xenboot.e2e:dom0-initramfs';

describe('e2e: PXELINUX → Xen → Debian dom0 with its root on iSCSI (tgt), logged in by the initramfs', () => {
  const setup = useNetrootLab(LAB_OCTET, ['iscsistart', 'mke2fs', 'tgtd', 'tgtadm']);

  it('logs in to the rendered target, mounts the LUN and runs its init with exactly the rendered arguments', async () => {
    const { lab: l, assets, netroot, rootTree } = setup();
    const { tree, token } = rootTree('iscsi');
    const image = join(l.workDir, 'dom0-root.img');
    await makeExt4Image(tree, image, 'dom0root');
    const storage = await l.addHost(`${l.address(TARGET_HOST)}/24`);
    await startIscsiTarget(storage.ns, { image, iqn: IQN, address: l.address(TARGET_HOST) });

    const root = l.makeRoot('tftp', netrootFiles(assets, netroot));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [netrootProfile('dom0-iscsi', 'iscsi', { type: 'iscsi', server: l.address(TARGET_HOST), target: IQN, lun: 1, style: 'initramfs' })],
        hosts: [{ mac: MAC, hostname: 'e2e-iscsi', profile: 'dom0-iscsi' }],
      },
      dhcpBoot: { ipxeScript: 'pxelinux.0' },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, name: 'iscsi', timeoutMs: 600_000 });
    const events = await fetchTimeline(l, MAC);
    const renderedArgs = await renderedPxelinuxDom0Args(l, MAC);
    expect(renderedArgs).toEqual(expect.arrayContaining([`root=iscsi:${l.address(TARGET_HOST)}::3260:1:${IQN}`, 'BOOTIF=01-52-54-00-e2-15-01']));

    expectNetrootBooted(result, { token, renderedArgs, rootSource: /^\/dev\/sd[a-z]$/, rootType: 'ext4' });
    expect(result.serial).toMatch(new RegExp(`Attached SCSI disk`));
    expectNetrootTimeline(events, ['pxelinux.0', 'pxelinux.cfg/01-52-54-00-e2-15-01', 'mboot.c32', 'xen/xen.gz', 'netroot/vmlinuz', 'netroot/initrd.img']);
  }, 720_000);
});
