/**
 * Vendor GRUB images (a distribution's signed `grubx64.efi`, XenServer's `EFI/xenserver/grubx64.efi`)
 * read one fixed config path and nothing per machine. A host or profile that chooses such an image names
 * that path (`loader.<firmware>.config`); a request for it is answered with the requesting machine's own
 * GRUB render, the machine found by the address it asks from: reserved in the inventory, or leased. This
 * is the one generated answer decided by the client's address rather than the file name (`answer.ts`),
 * so it applies only to the paths a choice names, and only to a machine whose choice names that path;
 * anyone else asking falls through to the other names (`grub/grub.cfg` stays the dispatcher for them)
 * and to static files.
 */
import type { ResolvedHost } from '../inventory/snapshot.js';
import type { LoaderChoices, Profile } from '../inventory/model.js';
import { parseMac } from '../net/mac.js';
import { renderAnswer, subjectForMac, type GeneratedAnswer, type GeneratedFilesContext } from './answer.js';

/** The firmware key whose choice (the host's over its profile's) names `path`, if any. */
function choiceNaming(path: string, host: ResolvedHost | undefined, profile: Profile): string | undefined {
  const keys = new Set([...Object.keys(host?.source.loader ?? {}), ...Object.keys(profile.loader ?? {})]) as Set<keyof LoaderChoices>;
  for (const key of keys) {
    const choice = host?.source.loader?.[key] ?? profile.loader?.[key];
    if (choice?.config === path) return key;
  }
  return undefined;
}

/**
 * The requesting machine's GRUB render when `path` is a vendor config path its choice names; `null` when
 * the path is none, or the asker's choice does not name it (the other names and static files answer then).
 */
export async function answerVendorConfig(path: string, ctx: GeneratedFilesContext): Promise<GeneratedAnswer | null> {
  const ip = ctx.clientIp;
  if (ip === undefined || !ctx.inventory.loaderConfigPaths().has(path)) return null;
  const reserved = ctx.inventory.hostByIp(ip);
  const leased = reserved === undefined && ctx.macForIp ? await ctx.macForIp(ip) : null;
  const mac = reserved?.mac ?? (leased === null ? null : parseMac(leased));
  if (mac === null || mac === undefined) return null;
  const found = subjectForMac(ctx.inventory, mac);
  if ('none' in found) return null;
  const key = choiceNaming(path, ctx.inventory.hostByMac(mac), found.subject.profile);
  if (key === undefined) return null;
  const how = reserved !== undefined ? 'reserved for' : 'leased to';
  return renderAnswer(ctx, 'grub', { subject: found.subject, why: `${ip} is ${how} ${mac}, whose loader.${key}.config is ${path}; ${found.why}` });
}
