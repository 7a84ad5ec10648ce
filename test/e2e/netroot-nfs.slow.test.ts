/**
 * NFS root: QEMU BIOS (iPXE ROM) → xenboot DHCP → PXELINUX → mboot.c32 → Xen → Debian's dom0 kernel and
 * the initramfs Debian's mkinitramfs makes (`MODULES=netboot`), with the arguments xenboot renders for
 * `root: {type: nfs}` and nothing added: the initramfs gets an address by DHCP on the boot NIC (BOOTIF),
 * mounts `/srv/dom0` from nfs-ganesha on the lab network (NFSv3, klibc nfsmount) and runs its
 * `/sbin/init`, which prints a marker that exists only in that export, the root mount and /proc/cmdline,
 * then powers off.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNfsServer } from '../../lab/qemu/nfs-ganesha.js';
import { runGuest } from '../../lab/qemu/qemu.js';
import { fetchTimeline, labConfig, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { expectNetrootBooted, expectNetrootTimeline, netrootFiles, netrootProfile, renderedPxelinuxDom0Args, useNetrootLab } from './netroot-boot.js';

const MAC = '52:54:00:e2:14:01';
const LAB_OCTET = 20;
const NFS_HOST = 2;

describe('e2e: PXELINUX → Xen → Debian dom0 with its root on NFS (nfs-ganesha)', () => {
  const setup = useNetrootLab(LAB_OCTET, ['ganesha.nfsd', 'rpcbind', 'rpcinfo']);

  it('mounts the export named by the rendered nfsroot= and runs its init with exactly the rendered arguments', async () => {
    const { lab: l, assets, netroot, rootTree } = setup();
    const { tree, token } = rootTree('nfs');
    const storage = await l.addHost(`${l.address(NFS_HOST)}/24`);
    const nfs = await startNfsServer(storage.ns, { tree, name: 'dom0', workDir: l.workDir });

    const root = l.makeRoot('tftp', netrootFiles(assets, netroot));
    const config = labConfig(l, root, {
      inventory: {
        profiles: [netrootProfile('dom0-nfs', 'nfs', { type: 'nfs', server: l.address(NFS_HOST), path: nfs.exportPath })],
        hosts: [{ mac: MAC, hostname: 'e2e-nfs', profile: 'dom0-nfs' }],
      },
      dhcpBoot: { ipxeScript: 'pxelinux.0' },
    });
    await startLabXenboot(l, config);

    const result = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: MAC, name: 'nfs', timeoutMs: 600_000 });
    const events = await fetchTimeline(l, MAC);
    const renderedArgs = await renderedPxelinuxDom0Args(l, MAC);
    expect(renderedArgs).toEqual(expect.arrayContaining(['boot=nfs', 'root=/dev/nfs', `nfsroot=${l.address(NFS_HOST)}:/srv/dom0`, 'BOOTIF=01-52-54-00-e2-14-01']));

    expectNetrootBooted(result, { token, renderedArgs, rootSource: new RegExp(`^${l.address(NFS_HOST).replace(/\./g, '\\.')}:/srv/dom0$`), rootType: 'nfs' });
    expectNetrootTimeline(events, ['pxelinux.0', 'pxelinux.cfg/01-52-54-00-e2-14-01', 'mboot.c32', 'xen/xen.gz', 'netroot/vmlinuz', 'netroot/initrd.img']);
  }, 720_000);
});
