/**
 * Profiles and hosts shared by the boot tests: one of each kind, with the values measured in
 * boot-protocols.md (QEMU MAC 52:54:00:12:34:56, SMBIOS UUID b8945908-…, server 10.99.0.1).
 */
import { Value } from '@sinclair/typebox/value';
import { ProfileSchema, type Host, type LinuxProfile, type Profile, type XenDom0Profile, type XenDomuProfile } from '../../src/inventory/model.js';

/** Fills schema defaults the way the config loader does. */
export function profile<T extends Profile = Profile>(input: Record<string, unknown>): T {
  const value = Value.Default(ProfileSchema, structuredClone(input)) as T;
  if (!Value.Check(ProfileSchema, value)) throw new Error(`bad fixture profile ${JSON.stringify(input)}`);
  return value;
}

export const server = { address: '10.99.0.1', publicUrl: 'http://10.99.0.1:8080' };

export const dom0 = profile<XenDom0Profile>({
  name: 'xen-diskless',
  kind: 'xen-dom0',
  xen: {
    image: 'xen.gz',
    uncompressed: 'xen',
    efi: 'xen.efi',
    args: ['dom0_mem=512M,max:512M', 'dom0_max_vcpus=1', 'console=com1', 'com1=115200,8n1', 'loglvl=all', 'noreboot'],
  },
  dom0: { kernel: 'vmlinuz', args: ['console=hvc0', 'earlyprintk=xen', 'rdinit=/init', 'panic=10'], initrds: ['initrd.img'] },
  serial: { port: 0, baud: 115200 },
});

export const dom0Nfs = profile({
  name: 'xen-nfs',
  kind: 'xen-dom0',
  xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: ['dom0_mem=1024M'] },
  dom0: { kernel: 'debian/vmlinuz', args: ['console=hvc0'], initrds: ['debian/initrd.img'] },
  root: { type: 'nfs', path: '/srv/nfs/{{host.hostname}}', options: 'vers=3' },
  ip: 'dhcp',
});

export const dom0NfsKernel = profile({
  name: 'xen-nfs-kernel',
  kind: 'xen-dom0',
  xen: { image: 'xen.gz', uncompressed: 'xen', args: [] },
  dom0: { kernel: 'vmlinuz-nfs', args: [] },
  root: { type: 'nfs', server: '10.99.0.5', path: '/export/dom0', style: 'kernel' },
  bootif: false,
});

export const dom0Iscsi = profile({
  name: 'xen-iscsi',
  kind: 'xen-dom0',
  xen: { image: 'xen.gz', uncompressed: 'xen', efi: 'xen.efi', args: ['dom0_mem=512M'] },
  dom0: { kernel: 'vmlinuz', args: ['console=hvc0'], initrds: ['initrd.img'] },
  root: { type: 'iscsi', target: 'iqn.2026-01.lan.storage:dom0', initiator: 'iqn.2026-01.lan.xen:{{host.hostname}}', style: 'ibft' },
  ip: 'static',
  gateway: '10.99.0.254',
  netmask: '255.255.255.0',
});

export const dom0IscsiInitramfs = profile({
  name: 'xen-iscsi-initramfs',
  kind: 'xen-dom0',
  xen: { image: 'xen.gz', uncompressed: 'xen', efi: 'xen.efi', args: ['dom0_mem=512M'] },
  dom0: { kernel: 'vmlinuz', args: ['console=hvc0'], initrds: ['initrd.img'] },
  root: { type: 'iscsi', server: '10.99.0.7', target: 'iqn.2026-01.lan.storage:dom0', lun: 1, initiator: 'iqn.2026-01.lan.xen:{{host.hostname}}', style: 'initramfs' },
});

export const domu = profile<XenDomuProfile>({
  name: 'domu-debian',
  kind: 'xen-domu',
  kernel: 'domu/vmlinuz-6.1',
  initrd: 'domu/initrd.img-6.1',
  args: ['root=/dev/xvda1', 'console=hvc0', 'hostname={{host.hostname}}'],
  memory: 1024,
  vcpus: 2,
  disks: [{ target: '/dev/vg0/{{name}}' }, { type: 'file', target: '/srv/xen/{{name}}-swap.img', vdev: 'xvdb' }],
});

export const linux = profile<LinuxProfile>({
  name: 'rescue',
  kind: 'linux',
  kernel: 'rescue/vmlinuz',
  initrds: ['rescue/initrd.img', 'rescue/firmware.img'],
  args: ['console=ttyS0,115200', 'quiet'],
  serial: { port: 0, baud: 115200 },
});

export const localboot = profile({ name: 'disk', kind: 'localboot' });

export const custom = profile({ name: 'mine', kind: 'custom', templates: { pxelinux: 'custom/menu', ipxe: 'custom/script' }, vars: { title: 'Lab' } });

export const allProfiles: Profile[] = [dom0, dom0Nfs, dom0NfsKernel, dom0Iscsi, dom0IscsiInitramfs, domu, linux, localboot, custom];

export const qemuHost: Host = {
  mac: '52:54:00:12:34:56',
  uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d',
  hostname: 'xen1',
  ip: '10.99.0.123',
  profile: 'xen-diskless',
};
