/**
 * Which files prove that a profile's boot happened: its kernel and initrds (and, for a Xen dom0, one of
 * the hypervisor images), fetched to the end over TFTP or HTTP. A profile rendered by the user's own
 * templates (`custom`) names no files xenboot can vouch for, and `localboot` fetches none: those are
 * consumed by their callback only (docs/lifecycle.md).
 */
import type { Profile } from '../inventory/model.js';
import type { EvidenceGroups } from './state.js';

/** The evidence groups of a profile's boot (every group needs one member fetched to the end). */
export function profileEvidence(profile: Profile): EvidenceGroups {
  switch (profile.kind) {
    case 'linux':
      return [[profile.kernel], ...profile.initrds.map((initrd) => [initrd])];
    case 'xen-dom0': {
      const xen = [profile.xen.image, profile.xen.uncompressed, profile.xen.efi].filter((file): file is string => file !== undefined);
      return [xen, [profile.dom0.kernel], ...profile.dom0.initrds.map((initrd) => [initrd])];
    }
    case 'xen-domu':
      return [[profile.kernel], ...(profile.initrd === undefined ? [] : [[profile.initrd]])];
    case 'localboot':
    case 'custom':
      return [];
  }
}
