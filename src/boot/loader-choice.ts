/**
 * A machine's own loader: the `loader.<firmware>` choice of its host (first) or its profile, which
 * overrides `dhcp.boot` for that firmware. The choice names the family and maybe the file; the file DHCP
 * hands is the named one or the family's usual one (`LOADER_BOOT_FILES`). For UEFI HTTP boot (option 93
 * = 16) the boot file is a URL (UEFI 2.10 §24.7.2: the HTTP boot client takes option 67 as a URI), so a
 * path is made one on the public HTTP address.
 */
import { LOADER_BOOT_FILES, type LoaderFirmwareKey, type Profile } from '../inventory/model.js';
import type { ResolvedHost } from '../inventory/snapshot.js';
import type { Firmware } from './machine.js';

/** The `dhcp.boot` / `loader` key a firmware reads. */
export function firmwareKey(firmware: Firmware): LoaderFirmwareKey {
  switch (firmware) {
    case 'bios':
      return 'bios';
    case 'efi-x64':
      return 'efiX64';
    case 'efi-ia32':
      return 'efiIa32';
    case 'efi-arm64':
      return 'efiArm64';
    case 'efi-arm32':
      return 'efiArm32';
    case 'efi-x64-http':
      return 'httpX64';
    case 'unknown':
      return 'fallback';
  }
}

/** What a machine's own choice makes DHCP hand it. */
export interface ChosenLoader {
  /** The family (`pxelinux`, `ipxe`, `grub`). */
  family: string;
  /** The boot file: `file` and option 67. */
  file: string;
  /** The rule that picked it: `host aa:bb:… loader.bios`, `profile NAME loader.efiX64`. */
  rule: string;
  /** A vendor GRUB image's fixed config path, served the machine's own GRUB render. */
  config?: string;
}

/**
 * The choice that applies to a machine on this firmware: its host's, else its profile's (an unknown
 * machine has only the unknown policy's profile), or `null` when neither chooses (then `dhcp.boot`).
 */
export function chosenLoader(host: ResolvedHost | undefined, profile: Profile | null, firmware: Firmware, publicUrl: string): ChosenLoader | null {
  const key = firmwareKey(firmware);
  const fromHost = host?.source.loader?.[key];
  const choice = fromHost ?? profile?.loader?.[key];
  if (choice === undefined) return null;
  const rule = fromHost !== undefined ? `host ${host!.mac} loader.${key}` : `profile ${profile!.name} loader.${key}`;
  const named = choice.file ?? LOADER_BOOT_FILES[choice.family][key];
  // The inventory checks refuse a family without a usual file for this firmware; stay with dhcp.boot.
  if (named === undefined) return null;
  const file = key === 'httpX64' && !/^https?:\/\//.test(named) ? `${publicUrl.replace(/\/+$/, '')}/${named}` : named;
  return { family: choice.family, file, rule, ...(choice.config !== undefined ? { config: choice.config } : {}) };
}
