/**
 * What the network tells us about a booting machine, and the seam through which DHCP asks what it boots.
 * DHCP builds a `Machine` from the request; a `Booter` (config-based at first, inventory-backed later)
 * answers with the boot file and related fields, or `null` when the machine is not ours to boot.
 */
import type { Firmware } from '../net/pxe-arch.js';

/** Firmware family, from DHCP option 93 (defined with its mapping in `net/pxe-arch.ts`). */
export type { Firmware };

/** A booting client as seen in one DHCP request (or reconstructed by `explain`). */
export interface Machine {
  /** Canonical MAC from `chaddr` (never the Ethernet source). */
  mac: string;
  /** SMBIOS UUID from option 97 as sent on the wire (possibly byte-swapped; match both orders). */
  uuid?: string;
  /** Raw option 93 value. */
  arch?: number;
  firmware: Firmware;
  /** True when option 77 is "iPXE" or option 175 is present: give it a script, not another iPXE. */
  isIpxe: boolean;
  /** Option 77 as text. */
  userClass?: string;
  /** Option 60 as text (`PXEClient:Arch:00000:UNDI:002001`, `udhcp 0.9.8`, …). */
  vendorClass?: string;
  /** True when option 60 starts with `PXEClient` or `HTTPClient`. */
  isPxe: boolean;
  /** The address the client has or asks for, when known. */
  ip?: string;
  /**
   * xenboot's address on the client's network: the local network the request arrived on, or the one
   * holding the relay's `giaddr`, else the address the request is answered from. It picks the public URL
   * handed to the client (`public-urls.ts`); absent, the single `http.publicUrl`.
   */
  serverAddress?: string;
}

/** The boot-related part of a DHCP reply. */
export interface DhcpBootAnswer {
  /** `file` field and option 67 (a TFTP path or, for iPXE and HTTP boot, a URL). */
  bootFile: string;
  /** The rule that picked `bootFile` (`dhcp.boot.bios`, `profile NAME loader.bios`, …), for explain and logs. */
  bootFileRule?: string;
  /** `siaddr`; defaults to `server.address`. */
  nextServer?: string;
  /** PXELINUX option 209 (config file). */
  pxelinuxConfigFile?: string;
  /** PXELINUX option 210 (path prefix). */
  pxelinuxPathPrefix?: string;
  /** Option 12. */
  hostname?: string;
  /** Option 17 (root path, e.g. for `nfsroot=auto`). */
  rootPath?: string;
}

/** Decides what a machine boots. Implementations must be fast (called per DHCP packet) and pure of I/O. */
export interface Booter {
  /** The boot answer for this machine, or `null` when xenboot has nothing for it to boot. */
  dhcpAnswer(machine: Machine): DhcpBootAnswer | null;
  /** True when the MAC is in the inventory (for `allowUnknown: false`). */
  isKnown(mac: string): boolean;
  /** The address reserved for this MAC in the inventory, if any. */
  reservedIp(mac: string): string | undefined;
}
