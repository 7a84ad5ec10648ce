/**
 * A stable, readable dump of a DHCP message for logs and golden test files: header fields, then every
 * option in code order with its name and a decoded value where the type is known.
 */
import { ipFromBytes } from '../net/ipv4.js';
import { optionName, Opt } from './options.js';
import { messageTypeName, type DhcpPacket } from './packet.js';

const IP_OPTIONS = new Set<number>([Opt.SubnetMask, Opt.BroadcastAddress, Opt.RequestedIp, Opt.ServerId]);
const IPS_OPTIONS = new Set<number>([Opt.Router, Opt.DomainServer, Opt.NtpServers]);
const U32_OPTIONS = new Set<number>([Opt.LeaseTime, Opt.RenewalTime, Opt.RebindingTime, Opt.PxelinuxRebootTime]);
const TEXT_OPTIONS = new Set<number>([Opt.HostName, Opt.DomainName, Opt.RootPath, Opt.VendorClass, Opt.TftpServer, Opt.BootFile, Opt.Message, Opt.PxelinuxConfigFile, Opt.PxelinuxPathPrefix]);

function formatValue(code: number, data: Buffer): string {
  if (IP_OPTIONS.has(code) && data.length === 4) return ipFromBytes(data);
  if (IPS_OPTIONS.has(code) && data.length > 0 && data.length % 4 === 0) {
    return Array.from({ length: data.length / 4 }, (_, i) => ipFromBytes(data, i * 4)).join(', ');
  }
  if (U32_OPTIONS.has(code) && data.length === 4) return String(data.readUInt32BE(0));
  if ((code === Opt.MaxMessageSize || code === Opt.ClientArch) && data.length === 2) return String(data.readUInt16BE(0));
  if (code === Opt.ParameterList) return Array.from(data).join(',');
  if ((TEXT_OPTIONS.has(code) || code === Opt.UserClass) && /^[\x20-\x7e]*$/.test(data.toString('latin1'))) return JSON.stringify(data.toString('latin1'));
  return data.toString('hex').replace(/(..)(?=.)/g, '$1:') || '(empty)';
}

/** Multi-line text describing the packet; identical input gives identical text. */
export function describePacket(packet: DhcpPacket): string {
  const lines = [
    `${messageTypeName(packet.type)} op=${packet.op} htype=${packet.htype} hlen=${packet.hlen} hops=${packet.hops} xid=0x${packet.xid.toString(16).padStart(8, '0')} secs=${packet.secs} flags=0x${packet.flags.toString(16).padStart(4, '0')}`,
    `  ciaddr=${packet.ciaddr} yiaddr=${packet.yiaddr} siaddr=${packet.siaddr} giaddr=${packet.giaddr}`,
    `  chaddr=${packet.chaddr.subarray(0, Math.min(16, packet.hlen || 16)).toString('hex').replace(/(..)(?=.)/g, '$1:')}`,
  ];
  if (packet.sname) lines.push(`  sname=${JSON.stringify(packet.sname)}`);
  if (packet.file) lines.push(`  file=${JSON.stringify(packet.file)}`);
  for (const code of [...packet.options.keys()].sort((a, b) => a - b)) {
    const data = packet.options.get(code)!;
    lines.push(`  ${String(code).padStart(3)} ${optionName(code)}: ${formatValue(code, data)}`);
  }
  return lines.join('\n');
}
