/**
 * Rendering a profile for one machine and one boot path. The renderer builds a plain context (paths,
 * joined argument strings, serial console, host identity), checks the limits of the target client, then
 * hands the context to the boot path's template. One `xen-dom0` profile renders to PXELINUX mboot.c32,
 * iPXE multiboot (BIOS), iPXE + xen.efi (UEFI), GRUB2 multiboot2 and xen.efi's `xen.cfg`; `xen-domu`
 * renders only the pypxeboot subset (linted); `linux` and `localboot` render everywhere; `custom` uses the
 * user's templates. See docs/profiles.md.
 */
import { posix } from 'node:path';
import { macHyphenated, type Mac } from '../net/mac.js';
import { dom0Args, RenderError, sanhookUri } from './dom0-args.js';
import { checkIpxeMultiboot } from './ipxe-limits.js';
import { xenCfgPath } from './lookup.js';
import type { Profile, Vars, XenDom0Profile } from '../inventory/model.js';
import { assertPypxebootSafe } from './pypxeboot-lint.js';
import { TemplateError, type TemplateSet } from './templates.js';

export { RenderError };

/** The boot paths a profile can be rendered for. */
export type RenderTarget = 'pxelinux' | 'ipxe-pcbios' | 'ipxe-efi' | 'grub' | 'xen-cfg';

/** Every render target, in the order explain shows them. */
export const RENDER_TARGETS: readonly RenderTarget[] = ['pxelinux', 'ipxe-pcbios', 'ipxe-efi', 'grub', 'xen-cfg'];

/** Who the render is for. */
export interface RenderSubject {
  mac: Mac;
  profile: Profile;
  vars: Vars;
  hostname?: string;
  ip?: string;
  uuid?: string;
  /** False for a machine outside the inventory rendered with the unknown-machine profile. */
  known: boolean;
  /** Who the file is for, as written in its comment line (default: the MAC, marked when unknown). */
  label?: string;
}

/** Per-request details. */
export interface RenderOptions {
  /** Origin iPXE resolves `/path` against (`tftp://10.0.0.1` or the HTTP public URL); for the 512-byte check. */
  ipxeBase?: string;
  /** Refuse anything pypxeboot cannot parse (per-MAC files of domUs, `default`). */
  pypxeboot?: boolean;
}

/** Server facts templates may use. */
export interface RenderServer {
  address: string;
  publicUrl: string;
}

function basename(path: string): string {
  return posix.basename(path);
}

/** Renders profiles through a template set. Stateless apart from the compiled templates. */
export class BootRenderer {
  private current: TemplateSet;

  constructor(
    templates: TemplateSet,
    readonly server: RenderServer,
  ) {
    this.current = templates;
  }

  /** The compiled templates every render uses now. */
  get templates(): TemplateSet {
    return this.current;
  }

  /** Renders with `next` from the next request on (SIGHUP reload); `next` is already compiled. */
  replaceTemplates(next: TemplateSet): void {
    this.current = next;
  }

  /** Renders `subject` for `target`; throws `RenderError` when the profile cannot boot that way. */
  render(target: RenderTarget, subject: RenderSubject, options: RenderOptions = {}): string {
    const base = this.contextFor(subject);
    let text: string;
    try {
      text = this.renderKind(target, subject, base, options);
    } catch (error) {
      if (error instanceof TemplateError) throw new RenderError(error.message);
      throw error;
    }
    if (options.pypxeboot && target === 'pxelinux' && subject.profile.kind !== 'localboot') {
      try {
        assertPypxebootSafe(text);
      } catch (error) {
        throw new RenderError(`profile "${subject.profile.name}" for ${subject.mac}: ${(error as Error).message}`);
      }
    }
    return text;
  }

  /** Renders each argument token (they may hold `{{vars.x}}`); a value with whitespace would split the token. */
  renderArgs(tokens: readonly string[], base: object): string[] {
    return tokens.map((token) => {
      const value = this.templates.renderInline(token, base);
      if (value === '' || /\s/.test(value)) throw new RenderError(`argument "${token}" renders to ${JSON.stringify(value)}: one argument must be one non-empty word`);
      return value;
    });
  }

  /** The variables every template and argument sees: host, profile, vars, server. */
  contextFor(subject: RenderSubject) {
    return {
      host: {
        mac: subject.mac,
        macHyphenated: macHyphenated(subject.mac),
        hostname: subject.hostname ?? null,
        ip: subject.ip ?? null,
        uuid: subject.uuid ?? null,
        known: subject.known,
        label: subject.label ?? (subject.known ? subject.mac : `${subject.mac} (unknown machine)`),
      },
      profile: subject.profile,
      vars: subject.vars,
      server: { address: this.server.address, httpUrl: this.server.publicUrl },
    };
  }

  private renderKind(target: RenderTarget, subject: RenderSubject, base: ReturnType<BootRenderer['contextFor']>, options: RenderOptions): string {
    const profile = subject.profile;
    const name = profile.name;
    switch (profile.kind) {
      case 'xen-dom0':
        return this.renderDom0(target, subject, profile, base, options);
      case 'xen-domu': {
        if (target !== 'pxelinux') throw new RenderError(`profile "${name}" (xen-domu) is booted by pypxeboot or xenboot-pvboot, not by ${target}`);
        const args = this.renderArgs(profile.args, base);
        const append = [...(profile.initrd ? [`initrd=${profile.initrd}`] : []), ...args].join(' ');
        return this.templates.render('pxelinux/xen-domu', { ...base, kernel: profile.kernel, append });
      }
      case 'linux': {
        if (target === 'xen-cfg') throw new RenderError(`profile "${name}" (linux) has no xen.cfg`);
        const args = this.renderArgs(profile.args, base);
        return this.templates.render(`${templateFamily(target)}/linux`, {
          ...base,
          kernel: profile.kernel,
          args: args.join(' '),
          initrds: profile.initrds,
          initrdNames: profile.initrds.map(basename),
          initrdList: profile.initrds.join(','),
          serial: profile.serial ?? null,
          // The kernel's EFI stub finds iPXE's images on its virtual file system by `initrd=<name>`.
          efi: target === 'ipxe-efi',
        });
      }
      case 'localboot':
        if (target === 'xen-cfg') throw new RenderError(`profile "${name}" (localboot) has no xen.cfg`);
        return this.templates.render(`${templateFamily(target)}/localboot`, base);
      case 'custom': {
        const key = target === 'xen-cfg' ? 'xenCfg' : templateFamily(target);
        const template = profile.templates[key as keyof typeof profile.templates];
        if (template === undefined) throw new RenderError(`profile "${name}" (custom) has no ${key} template`);
        return this.templates.render(template, { ...base, platform: target === 'ipxe-efi' ? 'efi' : target === 'ipxe-pcbios' ? 'pcbios' : null });
      }
    }
  }

  private renderDom0(target: RenderTarget, subject: RenderSubject, profile: XenDom0Profile, base: ReturnType<BootRenderer['contextFor']>, options: RenderOptions): string {
    const name = profile.name;
    const xenArgs = this.renderArgs(profile.xen.args, base);
    // Root paths and initiator names may use variables too, so the whole list is rendered once, at the end.
    const args = this.renderArgs(
      dom0Args(profile, {
        mac: subject.mac,
        ...(subject.ip !== undefined ? { ip: subject.ip } : {}),
        ...(subject.hostname !== undefined ? { hostname: subject.hostname } : {}),
        serverAddress: this.server.address,
        profileArgs: profile.dom0.args,
      }),
      base,
    );
    const rawSanhook = sanhookUri(profile, this.server.address);
    const sanhook = rawSanhook === null ? null : this.renderArgs([rawSanhook], base)[0]!;
    const initiator = profile.root?.type === 'iscsi' && profile.root.initiator !== undefined ? this.renderArgs([profile.root.initiator], base)[0]! : null;
    // xen.cfg is fetched by the UEFI iPXE script that ran sanhook, so only PXELINUX and GRUB lack an iBFT.
    if (sanhook !== null && (target === 'pxelinux' || target === 'grub')) {
      throw new RenderError(`profile "${name}": an iSCSI root with style ibft needs iPXE's sanhook; ${target} cannot publish an iBFT (use style: initramfs)`);
    }
    const context = {
      ...base,
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
      xenCfg: xenCfgPath(subject.mac),
    };
    switch (target) {
      case 'pxelinux':
        if (options.pypxeboot) throw new RenderError(`profile "${name}" (xen-dom0) renders an mboot.c32 APPEND, which pypxeboot cannot parse`);
        return this.templates.render('pxelinux/xen-dom0', context);
      case 'ipxe-pcbios': {
        const image = profile.xen.uncompressed;
        if (image === undefined) {
          throw new RenderError(`profile "${name}": iPXE cannot load a compressed Xen (${profile.xen.image}); set xen.uncompressed to the gunzipped image`);
        }
        checkIpxeMultiboot(
          [
            { path: image, args: context.xen.args },
            { path: profile.dom0.kernel, args: context.dom0.args },
            ...profile.dom0.initrds.map((path) => ({ path, args: '' })),
          ],
          options.ipxeBase ?? `tftp://${this.server.address}`,
          name,
        );
        return this.templates.render('ipxe/xen-dom0', context);
      }
      case 'ipxe-efi':
      case 'xen-cfg': {
        if (profile.xen.efi === undefined) {
          throw new RenderError(`profile "${name}" has no xen.efi: UEFI iPXE cannot multiboot Xen; set xen.efi (xen.efi + xen.cfg) or boot through GRUB`);
        }
        if (profile.dom0.initrds.length > 1) throw new RenderError(`profile "${name}": xen.cfg takes one ramdisk, the profile has ${profile.dom0.initrds.length}`);
        const names = [basename(profile.dom0.kernel), ...context.dom0.initrdNames, 'xen.cfg'];
        if (new Set(names).size !== names.length) throw new RenderError(`profile "${name}": kernel and initrd need distinct file names for xen.efi (${names.join(', ')})`);
        return this.templates.render(target === 'xen-cfg' ? 'xen-efi/xen-dom0' : 'ipxe/xen-dom0-efi', context);
      }
      case 'grub':
        return this.templates.render('grub/xen-dom0', context);
    }
  }
}

function templateFamily(target: RenderTarget): 'pxelinux' | 'ipxe' | 'grub' {
  if (target === 'ipxe-pcbios' || target === 'ipxe-efi') return 'ipxe';
  if (target === 'xen-cfg') throw new RenderError('xen.cfg has no template family');
  return target;
}
