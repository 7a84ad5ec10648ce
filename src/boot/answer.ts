/**
 * Answering a generated file name, the part every loader family shares: find the machine a name
 * identifies (by MAC, UUID in either byte order, reserved or leased address), say why, and render its
 * profile for the loader's target. A name that selects no machine with something to boot is "not found"
 * (TFTP ERROR 1, so the client moves on to its next name); a profile that cannot be rendered for that
 * client is refused with the reason. Every answer is decided from the file name alone, never from the
 * client's source address: pypxeboot's TFTP comes from dom0's IP (boot-protocols.md §0 #11).
 */
import { intToIp } from '../net/ipv4.js';
import type { Mac } from '../net/mac.js';
import { RenderError } from './dom0-args.js';
import type { Inventory } from '../inventory/snapshot.js';
import type { NameKey } from './lookup.js';
import type { Renderer, RenderOptions, RenderSubject } from './render-context.js';

/** What a generated name returns, and why. */
export type GeneratedAnswer =
  | { kind: 'text'; text: string; why: string }
  | { kind: 'not-found'; why: string }
  | { kind: 'refused'; why: string };

/** What answering a generated name needs. */
export interface GeneratedFilesContext {
  inventory: Inventory;
  renderer: Renderer;
  /** Origin iPXE scripts resolve `/path` against (`tftp://<server>` or the HTTP public URL). */
  ipxeBase: string;
  /** The public URL of the requesting client's network (`server.httpUrl`); default the renderer's. */
  publicUrl?: string;
  /** A dynamic lease's MAC for an address, when hex-IP names should also find leased machines. */
  macForIp?: (ip: string) => Promise<string | null>;
  /** The requesting client's address; only vendor config paths (`vendor-config.ts`) answer by it. */
  clientIp?: string;
}

/** The machine a name selects and why, or why it selects none. */
export type Subject = { subject: RenderSubject; why: string } | { none: string };

/** The machine a MAC names and what it boots (its profile, or the unknown-machine profile). */
export function subjectForMac(inventory: Inventory, mac: Mac): Subject {
  const host = inventory.hostByMac(mac);
  if (host) {
    if (!host.profile) return { none: `host ${mac} is in the inventory but has no profile (no host profile, no group with one)` };
    const source = host.profileSource;
    const why =
      source.from === 'group'
        ? `host ${mac}, profile "${host.profile.name}" from group "${source.group}"`
        : source.from === 'next-boot'
          ? `host ${mac}, profile "${host.profile.name}" for its next boot (${source.reason})`
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

/** The machine a UUID, MAC or full hex address names (a shortened hex address names a range: none). */
export async function subjectForKey(ctx: GeneratedFilesContext, key: Exclude<NameKey, { kind: 'default' }>): Promise<Subject> {
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

/** Renders a found machine for a target: the text, or the refusal with the reason. */
export function renderAnswer(ctx: GeneratedFilesContext, target: string, found: { subject: RenderSubject; why: string }, options: RenderOptions = {}): GeneratedAnswer {
  try {
    return { kind: 'text', text: ctx.renderer.render(target, found.subject, { ipxeBase: ctx.ipxeBase, ...(ctx.publicUrl !== undefined ? { publicUrl: ctx.publicUrl } : {}), ...options }), why: found.why };
  } catch (error) {
    if (error instanceof RenderError) return { kind: 'refused', why: `${found.why}: ${error.message}` };
    throw error;
  }
}

/** Renders the machine a MAC names for a target, or "not found" when it has nothing to boot. */
export function answerForMac(ctx: GeneratedFilesContext, mac: Mac, target: string): GeneratedAnswer {
  const found = subjectForMac(ctx.inventory, mac);
  if ('none' in found) return { kind: 'not-found', why: found.none };
  return renderAnswer(ctx, target, found);
}
