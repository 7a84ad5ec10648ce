/**
 * The interface one boot-loader family implements (docs/loaders.md). A family is one client program a
 * machine runs on its way to Xen or Linux (PXELINUX, iPXE, GRUB, xen.efi, pypxeboot) and owns everything
 * that is particular to it: the generated file names it asks for and their order, the render targets and
 * template folder, the DHCP boot file it is handed per firmware, and its part of `explain`. The registry
 * (`index.ts`) lists the families; rendering, generated files, DHCP and explain iterate it.
 */
import type { GeneratedAnswer, GeneratedFilesContext } from '../answer.js';
import type { NameKey } from '../lookup.js';
import type { Firmware, Machine } from '../machine.js';
import type { CustomProfile, ProfileKind, XenDom0Profile } from '../../inventory/model.js';
import type { Dom0Context, DomuContext, LinuxContext } from '../profile-context.js';
import type { RenderKit } from '../render-context.js';

/** A generated file recognised from its path: the family serving it and the identity the name carries. */
export interface ServedName {
  /** The serving family's `id`. */
  loader: string;
  /** Who the name identifies; `default` for a file that names no one machine (a dispatcher, `default`). */
  key: NameKey;
  /** The render target the file is rendered for; absent for files rendered without a profile. */
  target?: string;
}

/**
 * How a target renders each profile kind from the kind's context (`profile-context.ts`). A kind without
 * an entry is refused for this target with a message naming both.
 */
export interface KindRenderers {
  'xen-dom0'?: (kit: RenderKit, profile: XenDom0Profile, context: Dom0Context) => string;
  'xen-domu'?: (kit: RenderKit, context: DomuContext) => string;
  linux?: (kit: RenderKit, context: LinuxContext) => string;
  localboot?: (kit: RenderKit) => string;
}

/** One file format a family renders a profile to (`ipxe-efi`: an iPXE script for UEFI). */
export interface LoaderTarget {
  /** The target's name, as `BootRenderer.render`, golden files and refusals call it. */
  name: string;
  /** How a refusal names what the target produces, when not by `name` (`xen.cfg`). */
  noun?: string;
  /** A `custom` profile's template for this target, and the `platform` it sees. */
  custom: { template: keyof CustomProfile['templates']; platform: 'pcbios' | 'efi' | null };
  kinds: KindRenderers;
  /** Checks a finished render (any kind); throws `RenderError` when the client could not use it. */
  check?: (kit: RenderKit, text: string) => void;
}

/** The `dhcp.boot` settings a family's DHCP boot file is chosen from (docs/dhcp.md). */
export interface DhcpBootSettings {
  bios: string;
  efiX64: string;
  efiIa32: string;
  efiArm64: string;
  efiArm32: string;
  httpX64?: string;
  fallback: string;
  ipxeScript?: string;
}

/** The DHCP boot file a family picks, and the `dhcp.boot` setting it came from (`bios`, `ipxeScript`, …). */
export interface DhcpBootPick {
  file: string;
  setting: string;
}

/** A machine as explain sees it when choosing the family that boots it and walking its file names. */
export interface ExplainSubject {
  mac: string;
  firmware: Firmware;
  isIpxe: boolean;
  /** Option 93, when the query gives one (pypxeboot's udhcpc sends none). */
  arch?: number;
  /** The inventory host, when the machine is one: its profile kind and UUID. */
  host: { profileKind?: ProfileKind; uuid?: string } | null;
  /** The UUID the client sends in option 97. */
  uuid?: string;
  /** The machine's address: asked for, or reserved. */
  ip?: string;
  /** The family its host or profile chooses for this firmware (`loader.<firmware>`), if any. */
  chosenFamily?: string;
  /** The fixed config path of the vendor GRUB image it is handed, if any. */
  vendorConfig?: string;
}

/** One file explain asked for, as a family's walk sees it. */
export interface AskedFile {
  path: string;
  result: GeneratedAnswer['kind'] | 'static';
  text?: string;
}

/** Explain's side of a walk: ask for names as the client would. */
export interface ExplainWalk {
  /** Asks for each path in turn, stopping at the first answer that is not "not found"; returns the last. */
  ask(paths: readonly string[], via: 'tftp' | 'http'): Promise<AskedFile | undefined>;
}

/** A family's part in explain. */
export interface LoaderExplain {
  /** True when this family is what the machine runs (asked in registry order; the first wins). */
  claims(machine: ExplainSubject): boolean;
  /** Asks for the files the client asks for, in its order. */
  walk(machine: ExplainSubject, walk: ExplainWalk): Promise<void>;
}

/** The generated files a family serves: its part of the name grammar, and the answers. */
export interface LoaderNames {
  /** Recognises one of the family's names (a normalised path without leading `/`), else `null`. */
  parse(path: string): ServedName | null;
  /** Answers a name `parse` returned. */
  answer(name: ServedName, ctx: GeneratedFilesContext): Promise<GeneratedAnswer>;
}

/** A boot-loader family. */
export interface Loader {
  /** The family's name: explain's `client`, `ServedName.loader`. */
  id: string;
  /** What the client is, in a few words (docs and explain). */
  client: string;
  /** The folder under `templates/` holding the family's templates (`templates/<folder>/<kind>.hbs`). */
  templates: string | null;
  /** The render targets the family renders profiles to. */
  targets: readonly LoaderTarget[];
  /** The generated files the family serves; `null` for a family that reads another family's names. */
  names: LoaderNames | null;
  /** Paths of a host's files this family serves that other templates link to (`xenCfg`). */
  hostFiles?(mac: string): Record<string, string>;
  /** The DHCP boot file (`file`, option 67) when this family is what the machine is handed, else `null`. */
  dhcpBootFile(machine: Machine, boot: DhcpBootSettings, publicUrl: string): DhcpBootPick | null;
  explain: LoaderExplain | null;
}
