/**
 * Assertions shared by the boot cases: what the serial console must show after a good boot, and what the
 * machine's timeline must contain.
 */
import { expect } from 'vitest';
import { DOM0_MARKER } from '../../lab/qemu/assets.js';
import { dom0Cmdline, dom0Hypervisor, tail, type GuestResult } from '../../lab/qemu/qemu.js';
import type { TimelineEvent } from '../../lab/qemu/xenboot-lab.js';

/** The guest ended by itself (no time-limit kill) after dom0 printed the marker under Xen. Returns dom0's args. */
export function expectDom0UnderXen(result: GuestResult, expectedArgs: string[]): string[] {
  const context = `serial log ${result.serialPath}:\n${tail(result.serial, 60)}`;
  expect(result.timedOut, `guest hit the time limit; ${context}`).toBe(false);
  expect(dom0Hypervisor(result.serial, DOM0_MARKER), `dom0 marker missing; ${context}`).toBe('xen');
  const args = (dom0Cmdline(result.serial, DOM0_MARKER) ?? '').split(/\s+/).filter(Boolean);
  expect(args, context).toEqual(expect.arrayContaining(expectedArgs));
  expect(result.serial, `Xen did not log the expected command line; ${context}`).toMatch(/\(XEN\) Command line: .*dom0_mem=512M,max:512M.*noreboot/);
  return args;
}

/** The guest ended by itself after the marker initramfs ran on bare Linux (no Xen). Returns the kernel args. */
export function expectLinuxWithoutXen(result: GuestResult, expectedArgs: string[]): string[] {
  const context = `serial log ${result.serialPath}:\n${tail(result.serial, 60)}`;
  expect(result.timedOut, `guest hit the time limit; ${context}`).toBe(false);
  expect(dom0Hypervisor(result.serial, DOM0_MARKER), `marker missing; ${context}`).toBe('none');
  const args = (dom0Cmdline(result.serial, DOM0_MARKER) ?? '').split(/\s+/).filter(Boolean);
  expect(args, context).toEqual(expect.arrayContaining(expectedArgs));
  return args;
}

/** TFTP transfers in the timeline that completed, by file name as the client sent it (leading `/` dropped). */
export function completedTftpFiles(events: TimelineEvent[]): string[] {
  return events.filter((e) => e.kind === 'tftp' && e.outcome === 'complete').map((e) => String(e.file).replace(/^\/+/, ''));
}

/** HTTP paths fetched with status 200 or 206. */
export function okHttpPaths(events: TimelineEvent[]): string[] {
  return events.filter((e) => e.kind === 'http' && (e.status === 200 || e.status === 206)).map((e) => String(e.path));
}

/** The timeline starts with a DHCP exchange that acknowledged an address and continues with file fetches. */
export function expectDhcpThenFiles(events: TimelineEvent[], files: string[]): void {
  const summary = JSON.stringify(events.map((e) => [e.kind, e.messageType ?? e.file ?? e.path, e.reply ?? e.outcome ?? e.status]));
  const ackIndex = events.findIndex((e) => e.kind === 'dhcp' && e.reply === 'ACK');
  expect(ackIndex, `no DHCP ACK in the timeline: ${summary}`).toBeGreaterThanOrEqual(0);
  const fetched = [...completedTftpFiles(events), ...okHttpPaths(events)].map((f) => f.replace(/^\/+/, '').replace(/\?.*$/, ''));
  for (const file of files) {
    expect(fetched.some((f) => f === file || f.startsWith(file) || f.endsWith(`/${file}`)), `${file} not fetched: ${summary}`).toBe(true);
  }
  const firstFetch = events.findIndex((e) => e.kind === 'tftp' || e.kind === 'http');
  expect(firstFetch, `files fetched before the DHCP ACK: ${summary}`).toBeGreaterThan(ackIndex);
}

/**
 * Xen was started by its own UEFI loader (xen.efi), which read `xen.cfg` and loaded the kernel and initrd
 * it names (xen/common/efi/boot.c prints each; Xen then logs `Bootloader: EFI`).
 */
export function expectXenEfiLoadedConfig(result: GuestResult, kernel = 'vmlinuz', ramdisk = 'initrd.img'): void {
  const context = `serial log ${result.serialPath}:\n${tail(result.serial, 60)}`;
  expect(result.serial, context).toMatch(/Xen 4\.\d+[^\n]* EFI loader/);
  expect(result.serial, context).toContain("Using configuration file 'xen.cfg'");
  expect(result.serial, context).toMatch(new RegExp(`^${kernel}: 0x[0-9a-f]+-0x[0-9a-f]+`, 'm'));
  expect(result.serial, context).toMatch(new RegExp(`^${ramdisk}: 0x[0-9a-f]+-0x[0-9a-f]+`, 'm'));
  expect(result.serial, context).toMatch(/\(XEN\) Bootloader: EFI/);
}
