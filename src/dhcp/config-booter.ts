/**
 * A `Booter` built from the `dhcp` config alone: the boot file the loader families choose per firmware
 * (handed in through `ConfigBooterOptions.bootFile`, so DHCP never names a loader), `siaddr`, PXELINUX
 * options 209/210, and the reservations in `dhcp.reservations`. The inventory-backed Booter replaces it
 * once the inventory has hosts.
 */
import type { Booter, DhcpBootAnswer, Machine } from '../boot/machine.js';
import { parseMac } from '../net/mac.js';
import type { DhcpConfig } from './config.js';

/** What the config booter needs besides the `dhcp` section. */
export interface ConfigBooterOptions {
  /**
   * The boot file (`file`, option 67) for a machine: which loader family it is handed per firmware, from
   * `dhcp.boot`. The loaders decide it (`dhcpBootFileChooser` in Boot); DHCP only carries it.
   */
  bootFile: (machine: Machine) => { file: string; rule: string };
}

/** Creates the config-backed Booter. */
export function createConfigBooter(dhcp: DhcpConfig, options: ConfigBooterOptions): Booter {
  const reservations = new Map<string, { ip: string; hostname?: string }>();
  for (const r of dhcp.reservations) {
    const mac = parseMac(r.mac);
    if (mac !== null) reservations.set(mac, r.hostname === undefined ? { ip: r.ip } : { ip: r.ip, hostname: r.hostname });
  }
  return {
    dhcpAnswer(machine) {
      const chosen = options.bootFile(machine);
      const answer: DhcpBootAnswer = { bootFile: chosen.file, bootFileRule: chosen.rule };
      if (dhcp.boot.nextServer !== undefined) answer.nextServer = dhcp.boot.nextServer;
      // PXELINUX reads 209/210 (boot-protocols.md §2.2); other clients ignore them, so they go to everyone
      // except iPXE clients that get a script.
      if (!machine.isIpxe) {
        if (dhcp.pxelinux.configFile !== undefined) answer.pxelinuxConfigFile = dhcp.pxelinux.configFile;
        if (dhcp.pxelinux.pathPrefix !== undefined) answer.pxelinuxPathPrefix = dhcp.pxelinux.pathPrefix;
      }
      const hostname = reservations.get(machine.mac)?.hostname;
      if (hostname !== undefined) answer.hostname = hostname;
      return answer;
    },
    isKnown(mac) {
      return reservations.has(mac);
    },
    reservedIp(mac) {
      return reservations.get(mac)?.ip;
    },
  };
}
