/**
 * Generated boot files, served through the content handler chain to TFTP and HTTP clients:
 * `pxelinux.cfg/<uuid | 01-mac | hex IP | default>`, `grub/grub.cfg-01-<mac>` / `-<hex IP>` /
 * `grub/grub.cfg`, `boot.ipxe`, `ipxe/<platform>/01-<mac>.ipxe` and `xen-cfg/01-<mac>`.
 *
 * Every answer is decided from the file name alone, never from the client's source address: pypxeboot's
 * TFTP comes from dom0's IP, not the domU's (boot-protocols.md §0 #11). A name that selects no machine
 * with something to boot is "not found" (TFTP ERROR 1, so the client moves on to its next name); a
 * profile that cannot be rendered for that client is refused with the reason.
 */
import type { Content, ContentHandler, ContentRequest } from '../content/types.js';
import { bufferContent, ContentDenied } from '../content/types.js';
import { intToIp } from '../net/ipv4.js';
import type { Mac } from '../net/mac.js';
import type { Logger } from '../log.js';
import type { Inventory, InventoryProvider } from '../inventory/snapshot.js';
import { parseGeneratedPath, type GeneratedName, type NameKey } from './lookup.js';
import type { Profile } from '../inventory/model.js';
import { RenderError, type BootRenderer, type RenderOptions, type RenderSubject, type RenderTarget } from './render.js';

/** Xen's OUI: domUs (and so pypxeboot clients) get MACs in 00:16:3e (xl-network-configuration(5)). */
export const XEN_OUI = '00:16:3e';

/** What a generated name returns, and why. */
export type GeneratedAnswer =
  | { kind: 'text'; text: string; why: string }
  | { kind: 'not-found'; why: string }
  | { kind: 'refused'; why: string };

/** What answering a generated name needs. */
export interface GeneratedFilesContext {
  inventory: Inventory;
  renderer: BootRenderer;
  /** Origin iPXE scripts resolve `/path` against (`tftp://<server>` or the HTTP public URL). */
  ipxeBase: string;
  /** A dynamic lease's MAC for an address, when hex-IP names should also find leased machines. */
  macForIp?: (ip: string) => Promise<string | null>;
}

type Subject = { subject: RenderSubject; why: string } | { none: string };

/** The machine a MAC names and what it boots (its profile, or the unknown-machine profile). */
export function subjectForMac(inventory: Inventory, mac: Mac): Subject {
  const host = inventory.hostByMac(mac);
  if (host) {
    if (!host.profile) return { none: `host ${mac} is in the inventory but has no profile (no host profile, no group with one)` };
    const why =
      host.profileSource.from === 'group'
        ? `host ${mac}, profile "${host.profile.name}" from group "${host.profileSource.group}"`
        : `host ${mac}, profile "${host.profile.name}" named on the host`;
    const subject: RenderSubject = { mac, profile: host.profile, vars: host.vars, known: true };
    if (host.hostname !== undefined) subject.hostname = host.hostname;
    if (host.ip !== undefined) subject.ip = host.ip;
    if (host.uuid !== undefined) subject.uuid = host.uuid;
    return { subject, why };
  }
  const profile = inventory.unknownProfile();
  if (!profile) return { none: `${mac} is not in the inventory and unknown machines get nothing (inventory.unknown.boot: ${inventory.unknown.boot})` };
  return {
    subject: { mac, profile, vars: { ...(profile.vars ?? {}) }, known: false },
    why: `${mac} is not in the inventory: unknown machines get profile "${profile.name}"`,
  };
}

function render(ctx: GeneratedFilesContext, target: RenderTarget, found: { subject: RenderSubject; why: string }, options: RenderOptions = {}): GeneratedAnswer {
  try {
    return { kind: 'text', text: ctx.renderer.render(target, found.subject, { ipxeBase: ctx.ipxeBase, ...options }), why: found.why };
  } catch (error) {
    if (error instanceof RenderError) return { kind: 'refused', why: `${found.why}: ${error.message}` };
    throw error;
  }
}

/** True when pypxeboot may be the one asking: a domU profile, or an unknown MAC in Xen's range. */
function mayBePypxeboot(subject: RenderSubject): boolean {
  return subject.profile.kind === 'xen-domu' || (!subject.known && subject.mac.startsWith(XEN_OUI));
}

async function subjectForKey(ctx: GeneratedFilesContext, key: Exclude<NameKey, { kind: 'default' }>): Promise<Subject> {
  const inventory = ctx.inventory;
  switch (key.kind) {
    case 'uuid': {
      const host = inventory.hostByUuid(key.uuid);
      return host ? subjectForMac(inventory, host.mac) : { none: `no host has UUID ${key.uuid} (in either byte order)` };
    }
    case 'mac':
      return subjectForMac(inventory, key.mac);
    case 'ip': {
      if (key.hex.length < 8) return { none: `${key.hex} is a shortened hex address: it names a range, never one machine` };
      const ip = intToIp(parseInt(key.hex, 16));
      const host = inventory.hostByIp(ip);
      if (host) return subjectForMac(inventory, host.mac);
      const leased = ctx.macForIp ? await ctx.macForIp(ip) : null;
      if (leased !== null) {
        const found = subjectForMac(inventory, leased);
        return 'none' in found ? found : { subject: found.subject, why: `${ip} is leased to ${leased}; ${found.why}` };
      }
      return { none: `no host has address ${ip} reserved${ctx.macForIp ? ' or leased' : ''}` };
    }
  }
}

function unknownDefault(ctx: GeneratedFilesContext, target: 'pxelinux' | 'grub'): GeneratedAnswer {
  const profile: Profile | null = ctx.inventory.unknownProfile();
  if (!profile) return { kind: 'not-found', why: `unknown machines get nothing (inventory.unknown.boot: ${ctx.inventory.unknown.boot})` };
  const found = { subject: { mac: '00:00:00:00:00:00', profile, vars: { ...(profile.vars ?? {}) }, known: false, label: 'any machine' }, why: `default for unknown machines: profile "${profile.name}"` };
  // Any domU can reach pxelinux.cfg/default, so it must be something pypxeboot parses (§0 #10).
  const answer = render(ctx, target, found, { pypxeboot: target === 'pxelinux' });
  return answer.kind === 'refused' ? { kind: 'not-found', why: `${answer.why} (never served as a shared default)` } : answer;
}

/** Answers a generated name; `null` when the path is not a generated file (static files handle it). */
export async function answerGeneratedPath(path: string, ctx: GeneratedFilesContext): Promise<GeneratedAnswer | null> {
  const name: GeneratedName | null = parseGeneratedPath(path);
  if (!name) return null;
  switch (name.family) {
    case 'pxelinux':
    case 'grub': {
      if (name.key.kind === 'default') {
        if (name.family === 'pxelinux') return unknownDefault(ctx, 'pxelinux');
        // grub/grub.cfg: Debian's signed GRUB reads only this file, so it dispatches on the MAC.
        if (ctx.inventory.isEmpty()) return { kind: 'not-found', why: 'the inventory is empty' };
        return { kind: 'text', text: ctx.renderer.templates.render('grub/dispatch', {}), why: 'GRUB dispatcher: loads grub/grub.cfg-01-<mac>' };
      }
      const found = await subjectForKey(ctx, name.key);
      if ('none' in found) return { kind: 'not-found', why: found.none };
      if (name.family === 'grub') return render(ctx, 'grub', found);
      const pypxeboot = mayBePypxeboot(found.subject);
      const answer = render(ctx, 'pxelinux', found, { pypxeboot });
      // An unknown domU gets "not found" rather than a file that would crash it; it moves on to default.
      if (answer.kind === 'refused' && !found.subject.known) return { kind: 'not-found', why: answer.why };
      return answer;
    }
    case 'ipxe-dispatch':
      return { kind: 'text', text: ctx.renderer.templates.render('ipxe/dispatch', {}), why: 'iPXE dispatcher: chains ipxe/${platform}/01-${mac}.ipxe' };
    case 'ipxe': {
      const found = subjectForMac(ctx.inventory, name.mac);
      if ('none' in found) return { kind: 'not-found', why: found.none };
      return render(ctx, name.platform === 'efi' ? 'ipxe-efi' : 'ipxe-pcbios', found);
    }
    case 'xen-cfg': {
      const found = subjectForMac(ctx.inventory, name.mac);
      if ('none' in found) return { kind: 'not-found', why: found.none };
      return render(ctx, 'xen-cfg', found);
    }
  }
}

/** What the generated-files handler needs from the running service. */
export interface GeneratedFilesDeps {
  provider: InventoryProvider;
  renderer: BootRenderer;
  logger?: Logger;
  macForIp?: (ip: string) => Promise<string | null>;
}

/** The base iPXE resolves `/path` against for a request. */
export function ipxeBaseFor(request: Pick<ContentRequest, 'protocol' | 'serverIp'>, publicUrl: string): string {
  return request.protocol === 'http' ? publicUrl : `tftp://${request.serverIp}`;
}

/** The content handler for generated files: text → content, not found → `null`, refused → `ContentDenied`. */
export function createGeneratedFilesHandler(deps: GeneratedFilesDeps): ContentHandler {
  return async (request: ContentRequest): Promise<Content | null> => {
    const ctx: GeneratedFilesContext = {
      inventory: deps.provider.current(),
      renderer: deps.renderer,
      ipxeBase: ipxeBaseFor(request, deps.renderer.server.publicUrl),
      ...(deps.macForIp ? { macForIp: deps.macForIp } : {}),
    };
    let answer: GeneratedAnswer | null;
    try {
      answer = await answerGeneratedPath(request.path, ctx);
    } catch (error) {
      deps.logger?.warn({ err: error, path: request.path }, 'generated file failed');
      throw new ContentDenied(`cannot generate ${request.path}`);
    }
    if (answer === null) return null;
    if (answer.kind === 'text') {
      deps.logger?.debug({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file');
      return bufferContent(answer.text);
    }
    if (answer.kind === 'refused') {
      deps.logger?.warn({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file refused');
      throw new ContentDenied(answer.why);
    }
    deps.logger?.debug({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file not found');
    return null;
  };
}
