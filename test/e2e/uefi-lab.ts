/**
 * The scaffolding the UEFI xen.efi cases share: the boot and UEFI assets, one boot lab for the file's
 * cases (created before them, closed after), and a TFTP root holding `ipxe.efi` and `xen/xen.efi` beside
 * the usual files, with a dom0 profile that boots Xen through `xen.efi`.
 */
import { requireCommands } from '../../lab/process.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { ensureUefiAssets, type UefiAssets } from '../../lab/qemu/uefi-assets.js';
import { dom0Profile, labFiles } from '../../lab/qemu/xenboot-lab.js';
import { useSharedLab } from './shared-lab.js';

/** What a UEFI case gets once the file's `beforeAll` has run. */
export interface UefiLab {
  lab: BootLab;
  assets: BootAssets;
  uefi: UefiAssets;
  /** The TFTP root (boot files, `ipxe.efi`, `xen/xen.efi`) and a dom0 profile named `profileName` booting `xen/xen.efi`. */
  xenEfiRoot(profileName: string, caseName: string): { root: string; profile: Record<string, unknown> };
}

/** Registers the file's `beforeAll`/`afterAll` for a lab on `10.205.<octet>.0/24`; call the result inside a case. */
export function useUefiLab(octet: number): () => UefiLab {
  return useSharedLab('UEFI', async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    const assets = await ensureBootAssets();
    const uefi = await ensureUefiAssets();
    const lab = await BootLab.create(octet);
    return {
      lab,
      assets,
      uefi,
      xenEfiRoot(profileName: string, caseName: string) {
        const root = lab.makeRoot('tftp', { ...labFiles(assets), 'ipxe.efi': uefi.ipxeEfi, 'xen/xen.efi': uefi.xenEfi });
        const profile = dom0Profile(profileName, caseName);
        (profile.xen as Record<string, unknown>).efi = 'xen/xen.efi';
        return { root, profile };
      },
    };
  }, 600_000);
}
