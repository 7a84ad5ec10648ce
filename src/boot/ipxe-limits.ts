/**
 * iPXE's multiboot limits (boot-protocols.md §3.4; ipxe `src/arch/x86/image/multiboot.c`): at most
 * `MAX_MODULES` = 8 modules, and all command lines share one `MB_MAX_CMDLINE` = 512-byte buffer. Each
 * image's command line there is its full URI, a space and its arguments, NUL-terminated; iPXE silently
 * truncates past the limit, so xenboot refuses such a render instead.
 */
import { RenderError } from './dom0-args.js';

/** Shared buffer for every multiboot command line, in bytes (NULs included). */
export const MB_MAX_CMDLINE = 512;
/** Most multiboot modules iPXE passes. */
export const MAX_MODULES = 8;

/** One image iPXE loads: path on the server (requested as `/path`) and its arguments. */
export interface MultibootImage {
  path: string;
  args: string;
}

/** Bytes iPXE uses for these images' command lines when the script resolves `/path` against `base`. */
export function multibootCmdlineBytes(images: readonly MultibootImage[], base: string): number {
  const origin = base.replace(/\/+$/, '');
  return images.reduce((sum, image) => {
    const uri = `${origin}/${image.path}`;
    return sum + Buffer.byteLength(uri) + (image.args === '' ? 0 : 1 + Buffer.byteLength(image.args)) + 1;
  }, 0);
}

/** Throws `RenderError` when iPXE would truncate the command lines or drop modules. `images[0]` is Xen. */
export function checkIpxeMultiboot(images: readonly MultibootImage[], base: string, profileName: string): void {
  const modules = images.length - 1;
  if (modules > MAX_MODULES) throw new RenderError(`profile "${profileName}": iPXE passes at most ${MAX_MODULES} multiboot modules, this needs ${modules}`);
  const bytes = multibootCmdlineBytes(images, base);
  if (bytes > MB_MAX_CMDLINE) {
    throw new RenderError(
      `profile "${profileName}": iPXE multiboot command lines need ${bytes} bytes including image URIs (${base}/…), over iPXE's ${MB_MAX_CMDLINE}; shorten paths or arguments`,
    );
  }
}
