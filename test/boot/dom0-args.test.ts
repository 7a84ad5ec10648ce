/**
 * The root arguments of a `xen-dom0` profile as the dom0 initramfs reads them: the NFS and iSCSI renders
 * that test/e2e/netroot-*.slow.test.ts boot for real, and where an iSCSI `root=` goes when the profile
 * names its own.
 */
import { describe, expect, it } from 'vitest';
import { dom0Args, sanhookUri } from '../../src/boot/dom0-args.js';
import type { XenDom0Profile } from '../../src/inventory/model.js';
import { profile } from './fixtures.js';

const input = { mac: '52:54:00:12:34:56', serverAddress: '10.99.0.1' };

function dom0WithRoot(root: Record<string, unknown>, args: string[] = ['console=hvc0']): XenDom0Profile {
  return profile<XenDom0Profile>({ name: 'p', kind: 'xen-dom0', xen: { image: 'xen.gz', args: [] }, dom0: { kernel: 'vmlinuz', args }, root });
}

describe('dom0 root arguments', () => {
  it('NFS for Debian initramfs-tools: boot=nfs, the server defaulting to xenboot, BOOTIF for the DHCP NIC', () => {
    const p = dom0WithRoot({ type: 'nfs', path: '/srv/dom0' });
    expect(dom0Args(p, { ...input, profileArgs: p.dom0.args })).toEqual(['console=hvc0', 'boot=nfs', 'root=/dev/nfs', 'nfsroot=10.99.0.1:/srv/dom0', 'BOOTIF=01-52-54-00-12-34-56']);
  });

  it('iSCSI logged in by the initramfs: one RFC 4173 root=iscsi: with port and LUN, and the initiator name', () => {
    const p = dom0WithRoot({ type: 'iscsi', server: '10.99.0.7', target: 'iqn.2026-01.lan.storage:dom0', lun: 1, initiator: 'iqn.2026-01.lan.xen:a', style: 'initramfs' });
    expect(dom0Args(p, { ...input, profileArgs: p.dom0.args })).toEqual([
      'console=hvc0',
      'root=iscsi:10.99.0.7::3260:1:iqn.2026-01.lan.storage:dom0',
      'iscsi_initiator=iqn.2026-01.lan.xen:a',
      'BOOTIF=01-52-54-00-12-34-56',
    ]);
  });

  it("iSCSI with the profile's own root= (a partition of the LUN): root=iscsi: goes first, so the profile's root= is the one mounted", () => {
    const p = dom0WithRoot({ type: 'iscsi', target: 'iqn.2026-01.lan.storage:dom0', style: 'initramfs' }, ['root=UUID=0f3c', 'console=hvc0']);
    expect(dom0Args(p, { ...input, profileArgs: p.dom0.args })).toEqual([
      'root=iscsi:10.99.0.1::3260:0:iqn.2026-01.lan.storage:dom0',
      'root=UUID=0f3c',
      'console=hvc0',
      'BOOTIF=01-52-54-00-12-34-56',
    ]);
  });

  it('LUN 10 and above: decimal in root=iscsi: (Debian finds the disk by its by-path name …-lun-10), hexadecimal in the iPXE sanhook URI (scsi_parse_lun)', () => {
    const initramfs = dom0WithRoot({ type: 'iscsi', target: 'iqn.2026-01.lan.storage:dom0', lun: 10, style: 'initramfs' });
    expect(dom0Args(initramfs, { ...input, profileArgs: initramfs.dom0.args })).toContain('root=iscsi:10.99.0.1::3260:10:iqn.2026-01.lan.storage:dom0');
    const ibft = dom0WithRoot({ type: 'iscsi', target: 'iqn.2026-01.lan.storage:dom0', lun: 10, style: 'ibft' });
    expect(sanhookUri(ibft, '10.99.0.1')).toBe('iscsi:10.99.0.1:::a:iqn.2026-01.lan.storage:dom0');
    expect(sanhookUri(dom0WithRoot({ type: 'iscsi', target: 'iqn.x:y', lun: 255, port: 3261, style: 'ibft' }), '10.99.0.1')).toBe('iscsi:10.99.0.1::3261:ff:iqn.x:y');
    expect(sanhookUri(dom0WithRoot({ type: 'iscsi', target: 'iqn.x:y', style: 'ibft' }), '10.99.0.1')).toBe('iscsi:10.99.0.1::::iqn.x:y');
  });

  it('iSCSI through the iBFT: only ISCSI_AUTO=true, the target is in the table iPXE publishes', () => {
    const p = dom0WithRoot({ type: 'iscsi', target: 'iqn.2026-01.lan.storage:dom0', style: 'ibft' });
    expect(dom0Args(p, { ...input, profileArgs: p.dom0.args })).toEqual(['console=hvc0', 'ISCSI_AUTO=true', 'BOOTIF=01-52-54-00-12-34-56']);
  });
});
