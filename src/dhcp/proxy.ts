/**
 * ProxyDHCP (PXE spec, boot-protocols.md §2.2): beside the site's DHCP server, answer PXE clients only
 * (option 60 "PXEClient"/"HTTPClient") with boot information and never an address. On port 67 a DISCOVER
 * gets an OFFER with yiaddr 0, option 60 "PXEClient", option 54, the mirrored option 97, `siaddr` and the
 * boot file; BIOS clients also get option 43 with PXE discovery control 8 ("boot file present, skip
 * discovery"). EFI firmware that ignores such offers asks again on port 4011 with a REQUEST, answered
 * with an ACK sent back to where it came from.
 */
import type { Machine } from '../boot/machine.js';
import type { DhcpOutcome, RequestSource, ResponderContext } from './context.js';
import { Opt } from './options.js';
import { MessageType, messageTypeName, type DhcpPacket } from './packet.js';
import { buildReply, maxReplyLength, type RankedOption } from './reply.js';
import { bootOptions, requestedCodes, serverIdOption } from './reply-options.js';

/** Option 43 for BIOS PXE: sub-option 6 (discovery control) = 8, then end (PXE spec 2.1 table 2-1). */
const PXE_SKIP_DISCOVERY = Buffer.from([6, 1, 8, 255]);

function silent(request: DhcpPacket, machine: Machine, reason: string): DhcpOutcome {
  const outcome: DhcpOutcome = { messageType: messageTypeName(request.type), mac: machine.mac, reply: null, reason };
  if (machine.arch !== undefined) outcome.arch = machine.arch;
  return outcome;
}

/** The proxy-mode decision for one request. */
export function respondProxy(request: DhcpPacket, source: RequestSource, machine: Machine, ctx: ResponderContext): DhcpOutcome {
  if (!machine.isPxe) return silent(request, machine, 'proxy mode answers PXE clients only');
  let type: number;
  let to: { address: string; port: number };
  if (source.via === 'dhcp') {
    if (request.type !== MessageType.Discover) return silent(request, machine, 'proxy mode: the site DHCP server handles this');
    type = MessageType.Offer;
    to = request.giaddr !== '0.0.0.0' ? { address: request.giaddr, port: ctx.config.port || 67 } : { address: '255.255.255.255', port: ctx.config.clientPort };
  } else {
    if (request.type !== MessageType.Request && request.type !== MessageType.Inform) return silent(request, machine, 'port 4011 answers REQUEST and INFORM only');
    type = MessageType.Ack;
    // The client has its address by now and listens on the port it sent from (boot-protocols.md §2.2).
    to = { address: source.address === '0.0.0.0' ? '255.255.255.255' : source.address, port: source.port };
  }
  let answer;
  try {
    answer = ctx.booter.dhcpAnswer(machine);
  } catch {
    answer = null;
  }
  if (answer === null) return silent(request, machine, 'nothing to boot for this machine');
  const vendorClass = machine.vendorClass?.startsWith('HTTPClient') ? 'HTTPClient' : 'PXEClient';
  const options: RankedOption[] = [serverIdOption(ctx.serverAddress), { code: Opt.VendorClass, data: Buffer.from(vendorClass), rank: 0 }];
  // Option 97 is mirrored only in its RFC 4578 §2.3 form (type 0 and 16 bytes): echoing whatever a
  // client sent would put a malformed (or, past 255 bytes, split) option in front of firmware.
  const uuid = request.options.get(Opt.ClientUuid);
  if (uuid && uuid.length === 17 && uuid[0] === 0) options.push({ code: Opt.ClientUuid, data: uuid, rank: 1 });
  if (type === MessageType.Offer && machine.firmware === 'bios') options.push({ code: Opt.VendorSpecific, data: PXE_SKIP_DISCOVERY, rank: 1 });
  options.push(...bootOptions(answer, requestedCodes(request), ctx.config.pxelinux.rebootTime, ctx.serverAddress));
  const siaddr = answer.nextServer ?? ctx.serverAddress;
  const { packet, dropped } = buildReply(request, { type, yiaddr: '0.0.0.0', siaddr, file: answer.bootFile, broadcast: source.via === 'dhcp' }, options, maxReplyLength(request));
  const outcome: DhcpOutcome = { messageType: messageTypeName(request.type), mac: machine.mac, reply: { packet, ...to }, reason: `proxy ${source.via === 'dhcp' ? 'offer' : 'boot server'}`, bootFile: answer.bootFile };
  if (machine.arch !== undefined) outcome.arch = machine.arch;
  if (dropped.length > 0) outcome.dropped = dropped;
  return outcome;
}
