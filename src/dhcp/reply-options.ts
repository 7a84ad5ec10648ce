/**
 * Which options a reply carries and how important each is (its rank for `buildReply`'s size rule):
 * lease and addressing options, the boot answer (option 67 when asked for, PXELINUX 209/210/211 always,
 * because PXE ROMs never list them in option 55, boot-protocols.md §2.2) and configured extra options.
 */
import type { DhcpBootAnswer } from '../boot/machine.js';
import { ipToInt } from '../net/ipv4.js';
import type { DhcpExtraOption } from './config.js';
import { ipBytes, ipsBytes, Opt, uint16Bytes, uint32Bytes } from './options.js';
import type { DhcpPacket } from './packet.js';
import type { RankedOption } from './reply.js';
import type { Subnet } from './subnets.js';

/** The codes the client listed in option 55. */
export function requestedCodes(request: DhcpPacket): Set<number> {
  return new Set(request.options.get(Opt.ParameterList) ?? []);
}

/** Option 54, never dropped: udhcpc 0.9.8 ignores an OFFER without it (boot-protocols.md §0 #2). */
export function serverIdOption(serverAddress: string): RankedOption {
  return { code: Opt.ServerId, data: ipBytes(serverAddress), rank: 0 };
}

/** Lease time with T1 = ½ and T2 = ⅞ of it (RFC 2131 §4.4.5). */
export function leaseTimeOptions(seconds: number): RankedOption[] {
  return [
    { code: Opt.LeaseTime, data: uint32Bytes(seconds), rank: 0 },
    { code: Opt.RenewalTime, data: uint32Bytes(Math.floor(seconds / 2)), rank: 3 },
    { code: Opt.RebindingTime, data: uint32Bytes(Math.floor((seconds * 7) / 8)), rank: 3 },
  ];
}

/** Mask, router, DNS and domain always; broadcast address and NTP when asked for. */
export function subnetOptions(subnet: Subnet, asked: ReadonlySet<number>): RankedOption[] {
  const options: RankedOption[] = [{ code: Opt.SubnetMask, data: ipBytes(subnet.mask), rank: 1 }];
  if (subnet.router !== undefined) options.push({ code: Opt.Router, data: ipBytes(subnet.router), rank: 1 });
  if (subnet.dns.length > 0) options.push({ code: Opt.DomainServer, data: ipsBytes(subnet.dns), rank: 2 });
  if (subnet.domain !== undefined) options.push({ code: Opt.DomainName, data: Buffer.from(subnet.domain, 'latin1'), rank: 4 });
  if (asked.has(Opt.BroadcastAddress)) options.push({ code: Opt.BroadcastAddress, data: ipBytes(subnet.broadcast), rank: 5 });
  if (subnet.ntp.length > 0 && asked.has(Opt.NtpServers)) options.push({ code: Opt.NtpServers, data: ipsBytes(subnet.ntp), rank: 5 });
  return options;
}

/**
 * The boot answer as options: 67 when asked for, 66 (the TFTP server as text) when asked for, 209/210/211
 * unrequested, hostname, root path. `siaddr` stays the primary answer (PXELINUX and pypxeboot never read
 * 66); some UEFI firmware prefers 66 when it asked for it.
 */
export function bootOptions(answer: DhcpBootAnswer | null, asked: ReadonlySet<number>, rebootTime?: number, nextServer?: string): RankedOption[] {
  if (answer === null) return [];
  const options: RankedOption[] = [];
  const tftpServer = answer.nextServer ?? nextServer;
  if (tftpServer !== undefined && asked.has(Opt.TftpServer)) options.push({ code: Opt.TftpServer, data: Buffer.from(tftpServer, 'latin1'), rank: 4 });
  // The `file` field carries the name too; option 67 is needed when the name is too long for `file`, and
  // then it is the only place the boot file is, so it is never dropped to fit the size limit (the config
  // checks keep it within 255 bytes, so it always fits beside the other rank-0 options).
  const tooLongForFile = Buffer.byteLength(answer.bootFile, 'latin1') > 127;
  if (asked.has(Opt.BootFile) || tooLongForFile) {
    options.push({ code: Opt.BootFile, data: Buffer.from(answer.bootFile, 'latin1'), rank: tooLongForFile ? 0 : 2 });
  }
  if (answer.pxelinuxConfigFile !== undefined) options.push({ code: Opt.PxelinuxConfigFile, data: Buffer.from(answer.pxelinuxConfigFile, 'latin1'), rank: 3 });
  if (answer.pxelinuxPathPrefix !== undefined) options.push({ code: Opt.PxelinuxPathPrefix, data: Buffer.from(answer.pxelinuxPathPrefix, 'latin1'), rank: 3 });
  if (rebootTime !== undefined && (answer.pxelinuxConfigFile !== undefined || answer.pxelinuxPathPrefix !== undefined)) {
    options.push({ code: Opt.PxelinuxRebootTime, data: uint32Bytes(rebootTime), rank: 4 });
  }
  if (answer.hostname !== undefined) options.push({ code: Opt.HostName, data: Buffer.from(answer.hostname, 'latin1'), rank: 4 });
  if (answer.rootPath !== undefined) options.push({ code: Opt.RootPath, data: Buffer.from(answer.rootPath, 'latin1'), rank: 4 });
  return options;
}

/** Encodes a configured extra option's value (types checked by the config checks). */
export function encodeExtraOption(option: DhcpExtraOption): Buffer {
  const { type, value } = option;
  switch (type) {
    case 'text':
      return Buffer.from(String(value), 'latin1');
    case 'ip':
      return ipBytes(String(value));
    case 'ips':
      return ipsBytes(Array.isArray(value) ? value : [String(value)]);
    case 'u8':
      return Buffer.from([Number(value) & 255]);
    case 'u16':
      return uint16Bytes(Number(value));
    case 'u32':
      return uint32Bytes(Number(value));
    case 'bool':
      return Buffer.from([value === true ? 1 : 0]);
    default:
      return Buffer.from(String(value).replace(/:/g, ''), 'hex');
  }
}

/** Configured extra options the client asked for (or marked `always`). */
export function extraOptions(options: readonly DhcpExtraOption[], asked: ReadonlySet<number>): RankedOption[] {
  return options.filter((o) => o.always || asked.has(o.code)).map((o) => ({ code: o.code, data: encodeExtraOption(o), rank: 6 }));
}

/** True when the dotted address is inside the subnet. */
export function subnetHas(subnet: Subnet, ip: string): boolean {
  const mask = subnet.cidr.prefix === 0 ? 0 : (0xffffffff << (32 - subnet.cidr.prefix)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === subnet.cidr.network;
}
