/**
 * Finding the project's native addon (`native/build/Release/xenboot_udp.node`, built by node-gyp at
 * `npm install`), shared by the TFTP transfer engine and the DHCP socket. Only the search lives here: each
 * user checks the addon for what it needs and says why it cannot use it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build puts the addon, relative to the repository (or installed package) root. */
export const NATIVE_ADDON_PATH = join('native', 'build', 'Release', 'xenboot_udp.node');
/** How many directories up from the calling module to look for it (src/…, dist/src/…, bundles). */
const SEARCH_DEPTH = 7;

/**
 * Loads the addon for the module at `fromUrl` (its `import.meta.url`): `XENBOOT_NATIVE_ADDON` names a file,
 * or `off`; otherwise the first `native/build/Release/xenboot_udp.node` found walking up from that module.
 * Returns the loaded module and its path, or why there is none.
 */
export function requireNativeAddon(fromUrl: string): { ok: true; module: unknown; path: string } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not built for ${process.platform}` };
  const override = process.env.XENBOOT_NATIVE_ADDON;
  if (override === 'off') return { ok: false, reason: 'XENBOOT_NATIVE_ADDON=off' };
  let dir = dirname(fileURLToPath(fromUrl));
  const candidates = override ? [override] : [];
  for (let i = 0; i < SEARCH_DEPTH; i += 1) {
    candidates.push(join(dir, NATIVE_ADDON_PATH));
    dir = dirname(dir);
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) return { ok: false, reason: `${NATIVE_ADDON_PATH} not found (npm install builds it with node-gyp)` };
  try {
    return { ok: true, module: createRequire(fromUrl)(found), path: found };
  } catch (error) {
    return { ok: false, reason: `${found}: ${(error as Error).message}` };
  }
}
