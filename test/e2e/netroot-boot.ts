/**
 * What the network-root cases share: the lab's TFTP files and profile for Debian's dom0 with its own
 * initramfs, the arguments xenboot rendered for a machine (read back from the generated PXELINUX config or
 * iPXE script, as the loader received it), and the assertions on what the root's init printed and on the
 * machine's timeline.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { ensureNetrootAssets, type NetrootAssets } from '../../lab/qemu/netroot-assets.js';
import { readRootReport, writeRootTree, type RootReport } from '../../lab/qemu/netroot-tree.js';
import { tail, type GuestResult } from '../../lab/qemu/qemu.js';
import { apiBase, labFiles, XEN_ARGS, type TimelineEvent } from '../../lab/qemu/xenboot-lab.js';
import { completedTftpFiles, okHttpPaths } from './expect-boot.js';
import { useSharedLab } from './shared-lab.js';

/** What a network-root case gets once the file's `beforeAll` has run. */
export interface NetrootLab {
  lab: BootLab;
  assets: BootAssets;
  netroot: NetrootAssets;
  /** A root tree in the lab (busybox, and an init printing `<kind>-<random>`) and that token. */
  rootTree(kind: string): { tree: string; token: string };
}

/**
 * Registers the file's `beforeAll`/`afterAll` for a lab on `10.205.<octet>.0/24` with the boot and
 * network-root assets, after checking `commands` (the storage server's, beside the common ones); call the
 * result inside a case.
 */
export function useNetrootLab(octet: number, commands: string[]): () => NetrootLab {
  return useSharedLab('network-root', async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage', 'mkinitramfs', 'unshare', 'depmod', ...commands);
    const assets = await ensureBootAssets();
    const netroot = await ensureNetrootAssets();
    const lab = await BootLab.create(octet);
    return {
      lab,
      assets,
      netroot,
      rootTree(kind: string) {
        const token = `${kind}-${randomBytes(12).toString('hex')}`;
        const tree = join(lab.workDir, 'root-tree');
        writeRootTree(tree, netroot.busybox, token);
        return { tree, token };
      },
    };
  }, 900_000);
}

/** dom0 arguments of the network-root profiles (Debian's initramfs is `/init`; no `rdinit=`). */
export const NETROOT_DOM0_ARGS = ['console=hvc0', 'earlyprintk=xen', 'panic=10'];

/** The boot set's files plus the network-root kernel and initramfs under `netroot/`. */
export function netrootFiles(assets: BootAssets, netroot: NetrootAssets): Record<string, string> {
  return { ...labFiles(assets), 'netroot/vmlinuz': netroot.vmlinuz, 'netroot/initrd.img': netroot.initrd };
}

/** A `xen-dom0` profile booting Debian's kernel and initramfs with `root`. */
export function netrootProfile(name: string, caseToken: string, root: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    kind: 'xen-dom0',
    xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: XEN_ARGS },
    dom0: { kernel: 'netroot/vmlinuz', args: [...NETROOT_DOM0_ARGS, `xenboot.case=${caseToken}`], initrds: ['netroot/initrd.img'] },
    root,
    serial: { port: 0, baud: 115200 },
    ...extra,
  };
}

/** The dom0 arguments in the PXELINUX config xenboot generates for `mac` (`APPEND xen … --- kernel ARGS --- initrd`). */
export async function renderedPxelinuxDom0Args(lab: BootLab, mac: string): Promise<string[]> {
  const name = `01-${mac.toLowerCase().replace(/:/g, '-')}`;
  const response = await lab.httpGet(`${apiBase(lab)}/pxelinux.cfg/${name}`);
  if (response.status !== 200) throw new Error(`pxelinux.cfg/${name}: HTTP ${response.status}`);
  const append = response.body.match(/^\s*APPEND (.*)$/m)?.[1];
  if (!append) throw new Error(`no APPEND line in:\n${response.body}`);
  const kernelPart = append.split(' --- ')[1];
  if (!kernelPart) throw new Error(`no dom0 kernel in APPEND ${append}`);
  return kernelPart.split(/\s+/).filter(Boolean).slice(1);
}

/** The dom0 arguments in the iPXE script xenboot generates for `mac` (`module /kernel ARGS`). */
export async function renderedIpxeDom0Args(lab: BootLab, mac: string): Promise<{ args: string[]; script: string }> {
  const response = await lab.httpGet(`${apiBase(lab)}/boot.ipxe?mac=${encodeURIComponent(mac)}`);
  if (response.status !== 200) throw new Error(`boot.ipxe?mac=${mac}: HTTP ${response.status}`);
  const module = response.body.match(/^module \/netroot\/vmlinuz (.*)$/m)?.[1];
  if (!module) throw new Error(`no dom0 module line in:\n${response.body}`);
  return { args: module.split(/\s+/).filter(Boolean), script: response.body };
}

/**
 * The root's init ran under Xen on the network root (`rootSource` and `rootType` as /proc/mounts shows
 * them), printed `token` from the marker file and exactly `renderedArgs` as /proc/cmdline, and the guest
 * ended by itself. Returns the report.
 */
export function expectNetrootBooted(result: GuestResult, expected: { token: string; renderedArgs: string[]; rootSource: RegExp; rootType: string }): RootReport {
  const context = `serial log ${result.serialPath}:\n${tail(result.serial, 80)}`;
  const report = readRootReport(result.serial);
  expect(result.timedOut, `guest hit the time limit; ${context}`).toBe(false);
  expect(report.file, `the root's marker file was not printed; ${context}`).toBe(expected.token);
  expect(report.hypervisor, context).toBe('xen');
  expect((report.cmdline ?? '').split(/\s+/).filter(Boolean), context).toEqual(expected.renderedArgs);
  const [source, type] = (report.root ?? '').split(' ');
  expect(source, context).toMatch(expected.rootSource);
  expect(type, context).toBe(expected.rootType);
  expect(report.ended, context).toBe(true);
  expect(result.serial, `Xen did not log the expected command line; ${context}`).toMatch(/\(XEN\) Command line: .*noreboot/);
  return report;
}

/**
 * The machine's timeline: a DHCP ACK, then `files` fetched in that order (TFTP or HTTP), then the dom0
 * initramfs's own DHCP ACK after the last file, and no failure after it: the boot went DHCP → files →
 * done, as the API shows it.
 */
export function expectNetrootTimeline(events: TimelineEvent[], files: string[]): void {
  const summary = JSON.stringify(events.map((e) => [e.kind, e.messageType ?? e.file ?? e.path, e.reply ?? e.outcome ?? e.status, e.vendorClass]));
  const firstAck = events.findIndex((e) => e.kind === 'dhcp' && e.reply === 'ACK');
  expect(firstAck, `no DHCP ACK: ${summary}`).toBeGreaterThanOrEqual(0);
  const fetched = (e: TimelineEvent): string | null => {
    if (e.kind === 'tftp' && e.outcome === 'complete') return completedTftpFiles([e])[0]!;
    if (e.kind === 'http') return okHttpPaths([e])[0]?.replace(/^\/+/, '').replace(/\?.*$/, '') ?? null;
    return null;
  };
  let at = firstAck;
  for (const file of files) {
    const index = events.findIndex((e, i) => i > at && fetched(e) === file);
    expect(index, `${file} not fetched after position ${at}: ${summary}`).toBeGreaterThan(at);
    at = index;
  }
  const dom0Ack = events.findIndex((e, i) => i > at && e.kind === 'dhcp' && e.reply === 'ACK');
  expect(dom0Ack, `no DHCP ACK for the dom0 initramfs after the last file: ${summary}`).toBeGreaterThan(at);
  const failed = events.slice(dom0Ack).filter((e) => (e.kind === 'tftp' && e.outcome !== 'complete' && e.outcome !== 'aborted') || (e.kind === 'http' && Number(e.status) >= 400) || e.reply === 'NAK');
  expect(failed, summary).toEqual([]);
}
