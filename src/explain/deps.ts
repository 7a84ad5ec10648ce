/**
 * Explain's dependencies for a running instance or the CLI: the live inventory and renderer, and the DHCP
 * decision made exactly as the DHCP server makes it (inventory Booter around the config Booter, the boot
 * file chosen by the loader families, option 93 mapped by DHCP's pure policy). Explain imports Dhcp's
 * policy only, never its servers.
 */
import { createInventoryBooter } from '../boot/inventory-booter.js';
import { dhcpBootFileChooser } from '../boot/loaders/index.js';
import type { BootService } from '../boot/service.js';
import type { Config } from '../config/schema.js';
import { createConfigBooter } from '../dhcp/config-booter.js';
import { firmwareFromArch } from '../net/pxe-arch.js';
import type { ExplainDeps } from './explain.js';

/** Explain's dependencies for a running (or CLI-built) boot service; `fileSize` reads the TFTP root. */
export function explainDepsFor(config: Config, boot: BootService, fileSize?: (path: string) => Promise<number | null>): ExplainDeps {
  const base = createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, boot.publicUrls) });
  return {
    inventory: boot.provider.current(),
    renderer: boot.renderer,
    booter: createInventoryBooter(boot.provider, base, boot.publicUrls),
    serverAddress: config.dhcp.boot.nextServer ?? config.server.address,
    publicUrl: config.http.publicUrl,
    networkUrls: boot.publicUrls.networks,
    firmwareFromArch,
    ...(boot.macForIp ? { macForIp: boot.macForIp } : {}),
    ...(fileSize ? { fileSize } : {}),
  };
}
