/**
 * iSCSI root through the iBFT (`style: ibft`): QEMU BIOS (iPXE ROM) → xenboot DHCP → HTTP `boot.ipxe` →
 * the machine's script (`sanhook iscsi:…` publishes an iBFT, then `kernel` Xen + `module` dom0) → Xen →
 * Debian's dom0 kernel 6.1 with `ISCSI_AUTO=true`, whose initramfs (open-iscsi) would log in from the iBFT.
 *
 * A PV dom0 of Linux before 6.5 never finds the iBFT, which the kernel has to search for in the machine's
 * low memory (Linux commit 9338c2233b97, in 6.5, fixes finding it under a Xen dom0). So the case asserts
 * what happens, with the evidence: under Xen the kernel reports no iBFT and
 * open-iscsi gets no target from the firmware, and a control boot of the same kernel, initramfs and
 * arguments from the same `sanhook`, without Xen, finds the iBFT, logs in and mounts the LUN. The
 * supported way for such a dom0 is `style: initramfs` (netroot-iscsi.slow.test.ts), which is the default.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../lab/process.js';
import { makeExt4Image, readRootReport } from '../../lab/qemu/netroot-tree.js';
import { runGuest, tail, type GuestResult } from '../../lab/qemu/qemu.js';
import { startIscsiTarget } from '../../lab/qemu/tgt.js';
import { fetchTimeline, labConfig, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { expectDhcpThenFiles } from './expect-boot.js';
import { netrootFiles, netrootProfile, renderedIpxeDom0Args, useNetrootLab } from './netroot-boot.js';

const XEN_MAC = '52:54:00:e2:16:01';
const CONTROL_MAC = '52:54:00:e2:16:02';
const LAB_OCTET = 22;
const TARGET_HOST = 2;
const IQN = 'iqn.2024-01.org.xenboot.e2e:dom0-ibft';
const LABEL = 'dom0ibft';

/** The initramfs gave up on the root device, or the root's init ran: either way the boot is over. */
const BOOT_OVER = /Gave up waiting for root|XENBOOT-NETROOT-END|Kernel panic/;

describe('e2e: iPXE sanhook (iBFT) → Xen → Debian 6.1 dom0 with ISCSI_AUTO, and the same kernel without Xen', () => {
  const setup = useNetrootLab(LAB_OCTET, ['iscsistart', 'mke2fs', 'tgtd', 'tgtadm']);

  it('under Xen the dom0 finds no iBFT; without Xen the same kernel finds it, logs in and mounts the LUN', async () => {
    const { lab: l, assets, netroot, rootTree } = setup();
    const { tree, token } = rootTree('ibft');
    const image = join(l.workDir, 'dom0-root.img');
    await makeExt4Image(tree, image, LABEL);
    const storage = await l.addHost(`${l.address(TARGET_HOST)}/24`);
    await startIscsiTarget(storage.ns, { image, iqn: IQN, address: l.address(TARGET_HOST) });

    // The profile names the root by label: with the iBFT, the target comes from the firmware table, and
    // rootdelay keeps the expected failure short.
    const profile = netrootProfile('dom0-ibft', 'ibft', { type: 'iscsi', server: l.address(TARGET_HOST), target: IQN, lun: 1, style: 'ibft' });
    (profile.dom0 as { args: string[] }).args.push(`root=LABEL=${LABEL}`, 'rootdelay=30');
    const inventory = {
      profiles: [profile],
      hosts: [
        { mac: XEN_MAC, hostname: 'e2e-ibft', profile: 'dom0-ibft' },
        { mac: CONTROL_MAC, hostname: 'e2e-ibft-control', profile: 'dom0-ibft' },
      ],
    };
    const tftpRoot = l.makeRoot('tftp', netrootFiles(assets, netroot));
    let xenboot: RunningProcess = await startLabXenboot(l, labConfig(l, tftpRoot, { inventory }));

    // 1. Under Xen.
    const xen = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: XEN_MAC, name: 'ibft-xen', timeoutMs: 600_000, stopWhen: BOOT_OVER });
    const xenEvents = await fetchTimeline(l, XEN_MAC);
    expectDhcpThenFiles(xenEvents, ['boot.ipxe', 'xen/xen', 'netroot/vmlinuz', 'netroot/initrd.img']);
    const { args: renderedArgs, script } = await renderedIpxeDom0Args(l, XEN_MAC);
    const sanhook = script.match(/^sanhook (\S+)$/m)?.[1];
    expect(sanhook).toBe(`iscsi:${l.address(TARGET_HOST)}:::1:${IQN}`);
    expect(renderedArgs).toEqual(expect.arrayContaining(['ISCSI_AUTO=true', `root=LABEL=${LABEL}`]));
    expectNoIbftUnderXen(xen, renderedArgs);

    // 2. The control: the same sanhook, kernel, initramfs and arguments (rendered for the control machine,
    //    whose BOOTIF names its own NIC), loaded by iPXE without Xen, with the console on the serial port
    //    instead of Xen's.
    const controlRender = await renderedIpxeDom0Args(l, CONTROL_MAC);
    expect(controlRender.script).toContain(`sanhook ${sanhook}`);
    await xenboot.stop();
    const bareArgs = controlRender.args.filter((a) => a !== 'console=hvc0' && a !== 'earlyprintk=xen').concat('console=ttyS0,115200');
    const control = ['#!ipxe', `sanhook ${sanhook}`, `kernel netroot/vmlinuz ${bareArgs.join(' ')}`, 'initrd netroot/initrd.img', 'boot', ''].join('\n');
    const controlRoot = l.makeRoot('tftp-control', netrootFiles(assets, netroot), { 'control.ipxe': control });
    xenboot = await startLabXenboot(l, labConfig(l, controlRoot, { inventory, dhcpBoot: { ipxeScript: 'control.ipxe' } }));
    const bare = await runGuest(l, assets, { firmware: 'bios-ipxe', mac: CONTROL_MAC, name: 'ibft-bare', timeoutMs: 600_000, stopWhen: BOOT_OVER });
    const context = `serial log ${bare.serialPath}:\n${tail(bare.serial, 80)}`;
    const report = readRootReport(bare.serial);
    expect(bare.serial, context).toMatch(/iBFT found at 0x[0-9a-f]+/);
    expect(bare.serial, context).toMatch(/\] iBFT detected/);
    expect(bare.serial, context).not.toMatch(/No iBFT detected/);
    expect(report.file, context).toBe(token);
    expect(report.hypervisor, context).toBe('none');
    expect(report.root, context).toMatch(/^\/dev\/sd[a-z] ext4$/);
    expect((report.cmdline ?? '').split(/\s+/).filter(Boolean), context).toEqual(bareArgs);
    expect(await fetchTimeline(l, CONTROL_MAC).then((events) => events.some((e) => e.kind === 'tftp' && e.file === 'control.ipxe' && e.outcome === 'complete'))).toBe(true);
  }, 1_500_000);
});

/** The Xen boot: dom0 ran the initramfs with the rendered arguments, found no iBFT, and never reached the root. */
function expectNoIbftUnderXen(result: GuestResult, renderedArgs: string[]): void {
  const context = `serial log ${result.serialPath}:\n${tail(result.serial, 80)}`;
  expect(result.timedOut, `the boot did not end; ${context}`).toBe(false);
  expect(result.serial, context).toMatch(/\(XEN\) Command line: .*noreboot/);
  expect(result.serial, context).toMatch(/Hypervisor detected: Xen PV/);
  expect(result.serial, context).toContain(`Command line: ${renderedArgs.join(' ')}`);
  // drivers/firmware/iscsi_ibft.c logs "No iBFT detected." when find_ibft_region() found nothing; then
  // open-iscsi's local-top script runs `iscsistart -N` (network from the iBFT) and `iscsistart -b` (login
  // from the iBFT), which find no entry.
  // The early search (find_ibft_region(), called from setup_arch()) logs "iBFT found at 0x…" when it finds
  // the table; under Xen it never does.
  expect(result.serial, context).not.toMatch(/iBFT found at 0x/);
  expect(result.serial, context).toMatch(/No iBFT detected\./);
  expect(result.serial, context).not.toMatch(/\] iBFT detected/);
  expect(result.serial, context).toMatch(/Could not setup fw entries/);
  expect(result.serial, context).toMatch(/Could not get boot entry/);
  expect(result.serial, context).toMatch(/Gave up waiting for root/);
  expect(readRootReport(result.serial).file, context).toBeNull();
}
