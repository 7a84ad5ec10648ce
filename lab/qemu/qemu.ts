/**
 * Runs a QEMU guest that network-boots from a lab's bridge through a tap device (never `-netdev user`,
 * which has its own DHCP/TFTP). TCG only, with `-cpu max,-smap` (plain `max` crashes the Xen PV dom0
 * under TCG, boot-protocols.md §8). The serial console goes to a file; the guest is killed by PID at a hard
 * time limit. With Xen `noreboot` and dom0's `poweroff -f` the guest exits by itself when the boot works.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningProcess } from '../process.js';
import type { BootAssets } from './assets.js';
import type { BootLab } from './boot-lab.js';

/** How the guest's firmware network-boots. */
export type GuestFirmware =
  /** SeaBIOS + QEMU's iPXE ROM on an e1000 (the ROM sends user-class "iPXE"). */
  | 'bios-ipxe'
  /** OVMF with its own EDK2 PXE on virtio-net (no iPXE ROM). */
  | 'uefi-pxe'
  /**
   * OVMF with its PXE clients switched off through fw_cfg (`opt/org.tianocore/IPv4PXESupport` and
   * `IPv6PXESupport`, read by OvmfPkg's PxeBcPcdProducerLib), so the NIC's only boot options are EDK2's
   * UEFI HTTP Boot (option 60 `HTTPClient`, option 93 = 16). No iPXE ROM either.
   */
  | 'uefi-http';

/** What to boot. */
export interface GuestOptions {
  firmware: GuestFirmware;
  mac: string;
  /** SMBIOS system UUID (canonical form). */
  uuid?: string;
  /** Memory in MiB (default 1536). */
  memoryMiB?: number;
  /** Hard limit; the guest is killed by PID after it (default 300 s). */
  timeoutMs?: number;
  /** Name used for the serial log file. */
  name: string;
  /** The bridge the guest's tap joins (from `BootLab.addBridge`); default the lab's own. */
  bridge?: string;
  /**
   * Stops the guest (by PID) once its serial log matches this, polled every second: for a boot expected to
   * fail, which would otherwise sit at a halted Xen until the time limit.
   */
  stopWhen?: RegExp;
}

/** How the guest run ended; `serial` holds PXELINUX, GRUB, Xen and dom0 (via hvc0). */
export interface GuestResult extends QemuEnd {
  serialPath: string;
  /** SeaBIOS debug-port output (BIOS guests only). */
  firmwareLog: string;
}

/** Starts the guest on a new tap in `lab` and waits until it exits or the time limit hits. */
export async function runGuest(lab: BootLab, assets: BootAssets, options: GuestOptions): Promise<GuestResult> {
  const tap = await lab.addTap(options.bridge);
  const serialPath = join(lab.workDir, `${options.name}.serial.log`);
  const firmwareLogPath = join(lab.workDir, `${options.name}.firmware.log`);
  const args = [
    '-accel', 'tcg',
    '-cpu', 'max,-smap',
    '-m', String(options.memoryMiB ?? 1536),
    '-display', 'none',
    '-monitor', 'none',
    '-serial', `file:${serialPath}`,
    '-no-reboot',
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`,
  ];
  if (options.uuid) args.push('-smbios', `type=1,uuid=${options.uuid}`);
  if (options.firmware === 'bios-ipxe') {
    // SeaBIOS writes its own messages ("Booting from …", "No bootable device") to the debug port; after a
    // failed boot it reboots in 2 s, which -no-reboot turns into QEMU exiting: a machine that "moves on".
    args.push(
      '-machine', 'pc',
      '-device', `e1000,netdev=n0,mac=${options.mac}`,
      '-boot', 'order=n,reboot-timeout=2000',
      '-debugcon', `file:${firmwareLogPath}`,
      '-global', 'isa-debugcon.iobase=0x402',
    );
  } else {
    const vars = join(lab.workDir, `${options.name}.OVMF_VARS.fd`);
    copyFileSync(assets.ovmfVars, vars);
    args.push(
      '-machine', 'q35',
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${assets.ovmfCode}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${vars}`,
      // romfile= (empty) keeps QEMU's iPXE EFI ROM off the NIC, so OVMF's own PXE boots.
      '-device', `virtio-net-pci,netdev=n0,mac=${options.mac},romfile=`,
      '-boot', 'n',
    );
    if (options.firmware === 'uefi-http') {
      args.push('-fw_cfg', 'name=opt/org.tianocore/IPv4PXESupport,string=n', '-fw_cfg', 'name=opt/org.tianocore/IPv6PXESupport,string=n');
    }
  }
  const proc = lab.ns.spawn('qemu-system-x86_64', args);
  const end = await awaitQemu(proc, serialPath, options.timeoutMs ?? 300_000, options.stopWhen);
  const firmwareLog = existsSync(firmwareLogPath) ? readFileSync(firmwareLogPath, 'latin1') : '';
  return { ...end, serialPath, firmwareLog };
}

/** How a QEMU process ended. */
export interface QemuEnd {
  /** QEMU's exit code, or `null` when it was killed. */
  code: number | null;
  /** True when the hard time limit killed it. */
  timedOut: boolean;
  /** True when `stopWhen` matched and it was stopped. */
  stoppedOnPattern: boolean;
  durationMs: number;
  /** Everything the guest wrote to its serial port. */
  serial: string;
}

/**
 * Waits for a started QEMU `proc` to exit. It is killed by PID after `timeoutMs`, or once its serial log at
 * `serialPath` matches `stopWhen` (polled every second). Throws when QEMU ended without writing anything
 * and was not killed: it failed to start.
 */
export async function awaitQemu(proc: RunningProcess, serialPath: string, timeoutMs: number, stopWhen?: RegExp): Promise<QemuEnd> {
  const started = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop('SIGKILL', 1_000);
  }, timeoutMs);
  let stoppedOnPattern = false;
  const poller = stopWhen
    ? setInterval(() => {
        if (!timedOut && !stoppedOnPattern && existsSync(serialPath) && stopWhen.test(readFileSync(serialPath, 'latin1'))) {
          stoppedOnPattern = true;
          void proc.stop('SIGKILL', 1_000);
        }
      }, 1_000)
    : undefined;
  const code = await proc.exited;
  clearTimeout(timer);
  if (poller) clearInterval(poller);
  const durationMs = Date.now() - started;
  const serial = existsSync(serialPath) ? readFileSync(serialPath, 'latin1') : '';
  if (code !== 0 && !timedOut && serial === '') {
    throw new Error(`qemu-system-x86_64 failed to start (${code}): ${proc.output().slice(-2000)}`);
  }
  return { code, timedOut, stoppedOnPattern, durationMs, serial };
}

/** The dom0 kernel command line the marker initramfs printed, or `null` when dom0 never got there. */
export function dom0Cmdline(serial: string, marker: string): string | null {
  const match = serial.match(new RegExp(`${marker} hypervisor=(\\S+) cmdline=\\[([^\\]\\r\\n]*)\\]`));
  return match ? (match[2] ?? '') : null;
}

/** The hypervisor the marker initramfs saw (`xen` under Xen, `none` for a bare Linux boot). */
export function dom0Hypervisor(serial: string, marker: string): string | null {
  const match = serial.match(new RegExp(`${marker} hypervisor=(\\S+)`));
  return match ? (match[1] ?? null) : null;
}

/** The last `lines` lines of a serial log, for assertion messages. */
export function tail(text: string, lines = 40): string {
  return text.split(/\r?\n/).slice(-lines).join('\n');
}
