/**
 * The inventory-backed `Booter` DHCP asks per packet. Whether a machine gets a boot file is the
 * inventory's decision (a host with a profile, or the unknown-machine policy); which file depends on the
 * firmware and is left to the DHCP section's per-firmware defaults (`dhcp.boot`, iPXE script URL,
 * options 209/210), implemented by the config Booter this one wraps, so the two never disagree, unless
 * the host or its profile chooses its own loader for this firmware (`loader.<firmware>`,
 * `loader-choice.ts`): then that file is handed, except to a running iPXE, which always gets its script.
 * The host's reserved IP and hostname come from the inventory, falling back to `dhcp.reservations`.
 */
import { hostForMachine, type InventoryProvider } from '../inventory/snapshot.js';
import { chosenLoader } from './loader-choice.js';
import type { Booter, DhcpBootAnswer, Machine } from './machine.js';
import { publicUrlFor, type PublicUrls } from './public-urls.js';

/**
 * Creates the inventory-backed Booter around the config Booter (`createConfigBooter`). While the
 * inventory is empty it answers exactly as the config Booter; hosts added later through the API take
 * effect at the next packet. A UEFI HTTP boot path is made a URL on the public URL of the machine's network.
 */
export function createInventoryBooter(provider: InventoryProvider, base: Booter, urls: PublicUrls): Booter {
  return {
    dhcpAnswer(machine: Machine): DhcpBootAnswer | null {
      const inventory = provider.current();
      // No hosts and nothing for unknown machines: the config Booter alone decides (dhcp.reservations).
      if (inventory.isEmpty()) return base.dhcpAnswer(machine);
      const host = hostForMachine(inventory, machine);
      const profile = host ? host.profile : inventory.unknownProfile();
      if (!profile) return null;
      const answer = base.dhcpAnswer(machine);
      if (answer === null) return null;
      const result: DhcpBootAnswer = { ...answer };
      const own = machine.isIpxe ? null : chosenLoader(host, profile, machine.firmware, publicUrlFor(urls, machine.serverAddress));
      if (own !== null) {
        result.bootFile = own.file;
        result.bootFileRule = own.rule;
        // Options 209/210 are PXELINUX's; another family chosen here has no use for them.
        if (own.family !== 'pxelinux') {
          delete result.pxelinuxConfigFile;
          delete result.pxelinuxPathPrefix;
        }
      }
      if (host?.hostname !== undefined) result.hostname = host.hostname;
      return result;
    },
    isKnown(mac: string): boolean {
      return provider.current().hostByMac(mac) !== undefined || base.isKnown(mac);
    },
    reservedIp(mac: string): string | undefined {
      return provider.current().hostByMac(mac)?.ip ?? base.reservedIp(mac);
    },
  };
}
