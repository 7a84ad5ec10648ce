/**
 * A `Booter` built from the `dhcp` config alone: a boot file per firmware, an iPXE script URL for iPXE
 * clients (so they are not chainloaded into iPXE again), PXELINUX options 209/210, and the reservations
 * in `dhcp.reservations`. The inventory-backed Booter replaces it once the inventory has hosts.
 */
import type { Booter, DhcpBootAnswer, Machine } from '../boot/machine.js';
import { parseMac } from '../net/mac.js';
import type { DhcpConfig } from './config.js';

/** What the config booter needs besides the `dhcp` section. */
export interface ConfigBooterOptions {
  /** `http.publicUrl`, base of the default iPXE script URL. */
  publicUrl: string;
}

/**
 * The default iPXE script URL. iPXE expands `${…}` settings in the file name it is given, so the script
 * request already names the machine (boot-protocols.md §3).
 */
export function defaultIpxeScriptUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/boot.ipxe?mac=\${net0/mac}&uuid=\${uuid}&arch=\${buildarch}`;
}

/** The boot file for a machine according to `dhcp.boot`. */
export function bootFileFor(machine: Machine, boot: DhcpConfig['boot'], ipxeScript: string): string {
  if (machine.isIpxe) return ipxeScript;
  switch (machine.firmware) {
    case 'bios':
      return boot.bios;
    case 'efi-x64':
      return boot.efiX64;
    case 'efi-ia32':
      return boot.efiIa32;
    case 'efi-arm64':
      return boot.efiArm64;
    case 'efi-arm32':
      return boot.efiArm32;
    case 'efi-x64-http':
      return boot.httpX64 ?? boot.efiX64;
    default:
      return boot.fallback;
  }
}

/** Creates the config-backed Booter. */
export function createConfigBooter(dhcp: DhcpConfig, options: ConfigBooterOptions): Booter {
  const reservations = new Map<string, { ip: string; hostname?: string }>();
  for (const r of dhcp.reservations) {
    const mac = parseMac(r.mac);
    if (mac !== null) reservations.set(mac, r.hostname === undefined ? { ip: r.ip } : { ip: r.ip, hostname: r.hostname });
  }
  const ipxeScript = dhcp.boot.ipxeScript ?? defaultIpxeScriptUrl(options.publicUrl);
  return {
    dhcpAnswer(machine) {
      const answer: DhcpBootAnswer = { bootFile: bootFileFor(machine, dhcp.boot, ipxeScript) };
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
