/**
 * What each profile kind hands a loader family's template: the kind's fields turned into a plain context
 * (joined argument strings, file names, serial console). Every loader asks the kind here, so one
 * `xen-dom0` profile means the same hypervisor and dom0 arguments on PXELINUX, iPXE, GRUB and xen.efi;
 * a loader adds only what its client needs (a limit check, iPXE's `efi` flag). See docs/profiles.md.
 */
import { posix } from 'node:path';
import { dom0Args, RenderError, sanhookUri } from './dom0-args.js';
import type { LinuxProfile, XenDom0Profile, XenDomuProfile } from '../inventory/model.js';
import type { RenderKit } from './render-context.js';

function basename(path: string): string {
  return posix.basename(path);
}

/** A `xen-dom0` profile's context: Xen, the dom0 kernel and its command line, the iSCSI boot details. */
export function dom0Context(kit: RenderKit, profile: XenDom0Profile) {
  const { subject, server } = kit;
  const xenArgs = kit.args(profile.xen.args);
  // Root paths and initiator names may use variables too, so the whole list is rendered once, at the end.
  const args = kit.args(
    dom0Args(profile, {
      mac: subject.mac,
      ...(subject.ip !== undefined ? { ip: subject.ip } : {}),
      ...(subject.hostname !== undefined ? { hostname: subject.hostname } : {}),
      serverAddress: server.address,
      profileArgs: profile.dom0.args,
    }),
  );
  const rawSanhook = sanhookUri(profile, server.address);
  const sanhook = rawSanhook === null ? null : kit.args([rawSanhook])[0]!;
  const initiator = profile.root?.type === 'iscsi' && profile.root.initiator !== undefined ? kit.args([profile.root.initiator])[0]! : null;
  return {
    ...kit.base,
    xen: { image: profile.xen.image, uncompressed: profile.xen.uncompressed ?? null, efi: profile.xen.efi ?? null, args: xenArgs.join(' ') },
    dom0: {
      kernel: profile.dom0.kernel,
      kernelName: basename(profile.dom0.kernel),
      args: args.join(' '),
      initrds: profile.dom0.initrds,
      initrdNames: profile.dom0.initrds.map(basename),
    },
    serial: profile.serial ?? null,
    sanhook,
    initiator,
    // Paths of this host's other generated files (`xenCfg`), published by the loaders that serve them.
    ...kit.hostFiles,
  };
}

/** The context of a `xen-dom0` render. */
export type Dom0Context = ReturnType<typeof dom0Context>;

/**
 * Refuses an iSCSI root of style `ibft` on a loader that cannot publish an iBFT: only iPXE's `sanhook`
 * does (xen.cfg is fetched by the UEFI iPXE script that ran it).
 */
export function refuseIbft(context: Dom0Context, profile: XenDom0Profile, target: string): void {
  if (context.sanhook !== null) {
    throw new RenderError(`profile "${profile.name}": an iSCSI root with style ibft needs iPXE's sanhook; ${target} cannot publish an iBFT (use style: initramfs)`);
  }
}

/** A `xen-domu` profile's context: the kernel and the one APPEND line pypxeboot reads. */
export function domuContext(kit: RenderKit, profile: XenDomuProfile) {
  const args = kit.args(profile.args);
  const append = [...(profile.initrd ? [`initrd=${profile.initrd}`] : []), ...args].join(' ');
  return { ...kit.base, kernel: profile.kernel, append };
}

/** The context of a `xen-domu` render. */
export type DomuContext = ReturnType<typeof domuContext>;

/** A `linux` profile's context: kernel, arguments, initrds (paths, names, comma list), serial console. */
export function linuxContext(kit: RenderKit, profile: LinuxProfile) {
  const args = kit.args(profile.args);
  return {
    ...kit.base,
    kernel: profile.kernel,
    args: args.join(' '),
    initrds: profile.initrds,
    initrdNames: profile.initrds.map(basename),
    initrdList: profile.initrds.join(','),
    serial: profile.serial ?? null,
    /** Set by a loader whose kernel finds its initrds by `initrd=<name>` (iPXE on UEFI). */
    efi: false,
  };
}

/** The context of a `linux` render. */
export type LinuxContext = ReturnType<typeof linuxContext>;
