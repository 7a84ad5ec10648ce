/**
 * Builds the `Machine` a DHCP request describes (options 60, 61, 77, 93, 94, 97, 175 and `chaddr`), for the
 * Booter. The client is identified by `chaddr`, never by the Ethernet source: pypxeboot's udhcpc sends
 * from dom0's NIC with the domU's MAC in `chaddr` (boot-protocols.md §0 #4).
 */
import type { Machine } from '../boot/machine.js';
import { ipFromBytes } from '../net/ipv4.js';
import { macFromBytes } from '../net/mac.js';
import { firmwareFromArch } from '../net/pxe-arch.js';
import { uuidFromBytes } from '../net/uuid.js';
import { getText, Opt } from './options.js';
import type { DhcpPacket } from './packet.js';

/** The client's MAC: `chaddr` for Ethernet; otherwise from option 61 type 1; otherwise `null` (not served). */
export function clientMac(packet: DhcpPacket): string | null {
  if (packet.htype === 1 && packet.hlen === 6) return macFromBytes(packet.chaddr);
  const clientId = packet.options.get(Opt.ClientId);
  if (clientId && clientId.length === 7 && clientId[0] === 1) return macFromBytes(clientId.subarray(1));
  return null;
}

/** Option 93's first architecture (it is a list of 16-bit values), if well-formed. */
export function clientArch(packet: DhcpPacket): number | undefined {
  const data = packet.options.get(Opt.ClientArch);
  if (!data || data.length < 2 || data.length % 2 !== 0) return undefined;
  return data.readUInt16BE(0);
}

/**
 * Option 77 as text. iPXE sends the bare string "iPXE"; RFC 3004 clients send length-prefixed
 * instances, which are joined with commas.
 */
export function userClassText(data: Buffer | undefined): string | undefined {
  if (data === undefined || data.length === 0) return undefined;
  const plain = data.toString('latin1');
  // RFC 3004 form: each instance is <len><bytes>, and the lengths add up exactly.
  const parts: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset]!;
    if (length === 0 || offset + 1 + length > data.length) return plain;
    parts.push(data.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  return /^[\x20-\x7e]+$/.test(plain) ? plain : parts.join(',');
}

/** The machine a request describes, or `null` when it has no usable MAC. */
export function machineFromRequest(packet: DhcpPacket): Machine | null {
  const mac = clientMac(packet);
  if (mac === null) return null;
  const arch = clientArch(packet);
  const vendorClass = getText(packet.options, Opt.VendorClass);
  const userClass = userClassText(packet.options.get(Opt.UserClass));
  const machine: Machine = {
    mac,
    firmware: firmwareFromArch(arch),
    isIpxe: userClass === 'iPXE' || (userClass?.split(',').includes('iPXE') ?? false) || packet.options.has(Opt.IpxeEncap),
    isPxe: vendorClass !== undefined && /^(PXEClient|HTTPClient)/.test(vendorClass),
  };
  if (arch !== undefined) machine.arch = arch;
  // Option 60 "HTTPClient…" marks UEFI HTTP boot even when the arch code is one we do not map.
  if (vendorClass?.startsWith('HTTPClient') && machine.firmware === 'unknown') machine.firmware = 'efi-x64-http';
  if (vendorClass !== undefined) machine.vendorClass = vendorClass;
  if (userClass !== undefined) machine.userClass = userClass;
  // Option 97 (RFC 4578 §2.3): type 0 followed by 16 bytes, as the firmware sends them (maybe byte-swapped).
  const uuid = packet.options.get(Opt.ClientUuid);
  if (uuid && uuid.length === 17 && uuid[0] === 0) machine.uuid = uuidFromBytes(uuid.subarray(1));
  const requested = packet.options.get(Opt.RequestedIp);
  if (packet.ciaddr !== '0.0.0.0') machine.ip = packet.ciaddr;
  else if (requested && requested.length === 4) machine.ip = ipFromBytes(requested);
  return machine;
}
