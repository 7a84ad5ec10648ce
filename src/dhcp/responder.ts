/**
 * The DHCP policy: `respond(request, source, context)` returns the reply to send (or none) and why. Full
 * mode is the RFC 2131 state machine (§4.3): DISCOVER → OFFER with a short hold; REQUEST in SELECTING
 * (server id ours, else our offer is released silently), INIT-REBOOT (NAK when the address is wrong for
 * the client or subnet), RENEWING/REBINDING; RELEASE; DECLINE (quarantine); INFORM (ACK without yiaddr).
 * Proxy mode is in `proxy.ts`. No sockets here; leases go through the `LeaseTable`.
 */
import { intToIp } from '../net/ipv4.js';
import type { DhcpBootAnswer, Machine } from '../boot/machine.js';
import type { DhcpOutcome, RequestSource, ResponderContext } from './context.js';
import { replyDestination } from './destination.js';
import { machineFromRequest } from './machine.js';
import { getIp, Opt } from './options.js';
import { MessageType, messageTypeName, type DhcpPacket } from './packet.js';
import { respondProxy } from './proxy.js';
import { buildReply, maxReplyLength, type RankedOption } from './reply.js';
import { bootOptions, extraOptions, leaseTimeOptions, requestedCodes, serverIdOption, subnetHas, subnetOptions } from './reply-options.js';
import { selectSubnet, subnetOf, type Subnet } from './subnets.js';

type Outcome = DhcpOutcome;

function silent(request: DhcpPacket, reason: string, machine?: Machine | null): Outcome {
  const outcome: Outcome = { messageType: messageTypeName(request.type), reply: null, reason };
  if (machine) {
    outcome.mac = machine.mac;
    if (machine.arch !== undefined) outcome.arch = machine.arch;
  }
  return outcome;
}

/** Decides the reply to one request. Never throws on bad input: malformed options give a silent outcome. */
export async function respond(request: DhcpPacket, source: RequestSource, ctx: ResponderContext): Promise<Outcome> {
  if (request.op !== 1) return silent(request, 'not a BOOTREQUEST');
  if (request.type === null) return silent(request, 'BOOTP without option 53 is not served');
  const machine = machineFromRequest(request);
  if (machine === null) return silent(request, `no usable client MAC (htype ${request.htype}, hlen ${request.hlen})`);
  if (ctx.config.mode === 'off') return silent(request, 'DHCP is off', machine);
  if (!ctx.config.allowUnknown && !ctx.booter.isKnown(machine.mac)) return silent(request, 'unknown MAC ignored', machine);
  if (ctx.config.mode === 'proxy') return respondProxy(request, source, machine, ctx);
  if (source.via === 'proxy') return silent(request, 'port 4011 is only served in proxy mode', machine);
  switch (request.type) {
    case MessageType.Discover:
      return discover(request, machine, ctx);
    case MessageType.Request:
      return requestMessage(request, machine, ctx);
    case MessageType.Release:
      return release(request, machine, ctx);
    case MessageType.Decline:
      return decline(request, machine, ctx);
    case MessageType.Inform:
      return inform(request, machine, ctx);
    default:
      return silent(request, `${messageTypeName(request.type)} is not a client message`, machine);
  }
}

/** The reply for an OFFER/ACK/NAK, sized for the client and addressed per RFC 2131 §4.1. */
function reply(request: DhcpPacket, machine: Machine, ctx: ResponderContext, type: number, yiaddr: string, options: RankedOption[], answer: DhcpBootAnswer | null, reason: string): Outcome {
  const siaddr = type === MessageType.Nak ? '0.0.0.0' : (answer?.nextServer ?? ctx.serverAddress);
  const file = type === MessageType.Nak ? '' : (answer?.bootFile ?? '');
  // Through a relay, ask it to broadcast to a client that has no address yet (RFC 2131 §4.1: the relay
  // honours the broadcast bit); pypxeboot's udhcpc behind a relay cannot take a unicast either. A relayed
  // NAK is always broadcast.
  const relayed = request.giaddr !== '0.0.0.0';
  const broadcast = relayed && (type === MessageType.Nak || request.ciaddr === '0.0.0.0');
  const { packet, dropped } = buildReply(request, { type, yiaddr, siaddr, file, broadcast }, options, maxReplyLength(request));
  const to = replyDestination(request, type, { server: ctx.config.port || 67, client: ctx.config.clientPort });
  const outcome: Outcome = { messageType: messageTypeName(request.type), mac: machine.mac, reply: { packet, ...to }, reason };
  if (yiaddr !== '0.0.0.0') outcome.yiaddr = yiaddr;
  if (file) outcome.bootFile = file;
  if (machine.arch !== undefined) outcome.arch = machine.arch;
  if (dropped.length > 0) outcome.dropped = dropped;
  return outcome;
}

function nak(request: DhcpPacket, machine: Machine, ctx: ResponderContext, reason: string): Outcome {
  const options: RankedOption[] = [serverIdOption(ctx.serverAddress), { code: Opt.Message, data: Buffer.from(reason, 'latin1'), rank: 5 }];
  return reply(request, machine, ctx, MessageType.Nak, '0.0.0.0', options, null, reason);
}

/** Options of an OFFER or ACK that carries a lease (or none, for INFORM). */
function leaseReplyOptions(request: DhcpPacket, subnet: Subnet, answer: DhcpBootAnswer | null, ctx: ResponderContext, withLease: boolean): RankedOption[] {
  const asked = requestedCodes(request);
  const options = [serverIdOption(ctx.serverAddress)];
  if (withLease) options.push(...leaseTimeOptions(ctx.config.leaseTime));
  options.push(...subnetOptions(subnet, asked), ...bootOptions(answer, asked, ctx.config.pxelinux.rebootTime, ctx.serverAddress), ...extraOptions(ctx.config.options, asked));
  // UEFI HTTP boot clients need option 60 "HTTPClient" back (boot-protocols.md §2.1).
  if (request.options.get(Opt.VendorClass)?.toString('latin1').startsWith('HTTPClient')) {
    options.push({ code: Opt.VendorClass, data: Buffer.from('HTTPClient'), rank: 2 });
  }
  return options;
}

function readIpOption(request: DhcpPacket, code: number): string | undefined {
  try {
    return getIp(request.options, code);
  } catch {
    return undefined;
  }
}

/**
 * The Booter's answer for a machine on `subnet`. The machine is told URLs on its own network: the local
 * subnet's server address (the network the request arrived on, or the one holding the relay's giaddr),
 * else, behind a relay, the address the request is answered from.
 */
function bootAnswer(machine: Machine, ctx: ResponderContext, subnet: Subnet): DhcpBootAnswer | null {
  try {
    return ctx.booter.dhcpAnswer({ ...machine, serverAddress: subnet.serverAddress ?? ctx.serverAddress });
  } catch {
    return null;
  }
}

async function discover(request: DhcpPacket, machine: Machine, ctx: ResponderContext): Promise<Outcome> {
  const subnet = selectSubnet(ctx.subnets, request.giaddr, ctx.arrivedOn);
  if (!subnet) return silent(request, `no subnet for giaddr ${request.giaddr}`, machine);
  const { leases, now } = ctx;
  const reserved = ctx.booter.reservedIp(machine.mac);
  let preferred: string[];
  let why: string;
  if (reserved !== undefined && subnetHas(subnet, reserved)) {
    preferred = [reserved];
    why = 'reserved';
  } else {
    preferred = [];
    const previous = leases.entryFor(machine.mac);
    if (previous && previous.state !== 'declined') {
      const ip = intToIp(previous.ip);
      if (subnetHas(subnet, ip) && leases.isDynamic(subnet, ip)) preferred.push(ip);
    }
    const requested = readIpOption(request, Opt.RequestedIp);
    if (requested !== undefined && subnetHas(subnet, requested) && leases.isDynamic(subnet, requested)) preferred.push(requested);
    why = 'pool';
  }
  const answer = bootAnswer(machine, ctx, subnet);
  const details = clientDetails(request, answer);
  // A client that still holds a bound lease keeps it; the offer does not shorten it to a hold.
  const current = leases.entryFor(machine.mac);
  let yiaddr: string | undefined;
  if (current && current.state === 'bound' && current.expiresAt > now && preferred[0] === intToIp(current.ip)) {
    yiaddr = intToIp(current.ip);
  } else if (why === 'reserved') {
    // A reserved client gets its address or nothing (never a pool address it would then lose).
    const hold = now + ctx.config.offerHold * 1000;
    const held = leases.isAvailable(reserved!, machine.mac, now) && (await leases.claim(machine.mac, reserved!, 'offered', hold, now, details));
    if (!held) return silent(request, `reserved address ${reserved} is unavailable`, machine);
    yiaddr = reserved!;
  } else {
    const allocation = await leases.allocate(subnet, machine.mac, preferred, now + ctx.config.offerHold * 1000, now, details);
    if (!allocation.ok) return silent(request, allocation.reason === 'pool full' ? `pool full in ${subnet.name}` : 'address claim lost to another server', machine);
    yiaddr = allocation.ip;
  }
  return reply(request, machine, ctx, MessageType.Offer, yiaddr, leaseReplyOptions(request, subnet, answer, ctx, true), answer, why);
}

function clientDetails(request: DhcpPacket, answer: DhcpBootAnswer | null): { clientId?: string; hostname?: string } {
  const details: { clientId?: string; hostname?: string } = {};
  const clientId = request.options.get(Opt.ClientId);
  if (clientId) details.clientId = clientId.toString('hex');
  const hostname = answer?.hostname ?? request.options.get(Opt.HostName)?.toString('latin1').replace(/[^\x20-\x7e]/g, '');
  if (hostname) details.hostname = hostname.slice(0, 63);
  return details;
}

async function requestMessage(request: DhcpPacket, machine: Machine, ctx: ResponderContext): Promise<Outcome> {
  const serverId = readIpOption(request, Opt.ServerId);
  const requested = readIpOption(request, Opt.RequestedIp);
  const { leases, now } = ctx;
  let ip: string;
  let subnet: Subnet | undefined;
  let state: string;
  if (serverId !== undefined) {
    // SELECTING (RFC 2131 §4.3.2): the client names the server it chose.
    if (serverId !== ctx.serverAddress) {
      const held = leases.entryFor(machine.mac);
      if (held && held.state === 'offered') await leases.release(machine.mac, intToIp(held.ip), now);
      return silent(request, `client chose server ${serverId}`, machine);
    }
    if (requested === undefined) return nak(request, machine, ctx, 'REQUEST without a requested address');
    ip = requested;
    subnet = selectSubnet(ctx.subnets, request.giaddr, ctx.arrivedOn);
    state = 'SELECTING';
  } else if (requested !== undefined && request.ciaddr === '0.0.0.0') {
    ip = requested;
    subnet = selectSubnet(ctx.subnets, request.giaddr, ctx.arrivedOn);
    state = 'INIT-REBOOT';
  } else if (request.ciaddr !== '0.0.0.0') {
    ip = request.ciaddr;
    subnet = request.giaddr !== '0.0.0.0' ? selectSubnet(ctx.subnets, request.giaddr, ctx.arrivedOn) : subnetOf(ctx.subnets, ip);
    if (!subnet) return silent(request, `RENEWING/REBINDING for ${ip}, which is not in a served subnet`, machine);
    state = 'RENEWING';
  } else {
    return silent(request, 'REQUEST with neither server id, requested address nor ciaddr', machine);
  }
  if (!subnet) return silent(request, `no subnet for giaddr ${request.giaddr}`, machine);
  if (!subnetHas(subnet, ip)) return nak(request, machine, ctx, `${ip} is not in subnet ${subnet.name}`);
  const reserved = ctx.booter.reservedIp(machine.mac);
  // RFC 2131 §4.3.2: a server with no record of a client in INIT-REBOOT "MUST remain silent"; the same
  // holds for RENEWING/REBINDING here. A record is a lease (any state) or a reservation: otherwise any
  // made-up client could bind any free address by asking for it.
  if (state !== 'SELECTING' && reserved === undefined && leases.entryFor(machine.mac) === undefined) {
    return silent(request, `${state} for ${ip} from a client with no lease or reservation here (RFC 2131 §4.3.2)`, machine);
  }
  if (reserved !== undefined && subnetHas(subnet, reserved)) {
    if (reserved !== ip) return nak(request, machine, ctx, `address reserved for this client is ${reserved}`);
  } else if (!leases.isDynamic(subnet, ip)) {
    return nak(request, machine, ctx, `${ip} is not in a dynamic range`);
  }
  if (!leases.isAvailable(ip, machine.mac, now)) return nak(request, machine, ctx, `${ip} is in use by another client`);
  const answer = bootAnswer(machine, ctx, subnet);
  // The ACK is sent only after the store has the lease (durable before the client uses it).
  const bound = await leases.claim(machine.mac, ip, 'bound', now + ctx.config.leaseTime * 1000, now, clientDetails(request, answer));
  if (!bound) return nak(request, machine, ctx, `${ip} is held by another server`);
  return reply(request, machine, ctx, MessageType.Ack, ip, leaseReplyOptions(request, subnet, answer, ctx, true), answer, `${state}${reserved === ip ? ' reserved' : ''}`);
}

async function release(request: DhcpPacket, machine: Machine, ctx: ResponderContext): Promise<Outcome> {
  const serverId = readIpOption(request, Opt.ServerId);
  if (serverId !== undefined && serverId !== ctx.serverAddress) return silent(request, `RELEASE for server ${serverId}`, machine);
  const released = await ctx.leases.release(machine.mac, request.ciaddr, ctx.now);
  const outcome = silent(request, released ? `released ${request.ciaddr}` : `no lease of this client on ${request.ciaddr}`, machine);
  if (released) outcome.yiaddr = request.ciaddr;
  return outcome;
}

async function decline(request: DhcpPacket, machine: Machine, ctx: ResponderContext): Promise<Outcome> {
  const serverId = readIpOption(request, Opt.ServerId);
  if (serverId !== undefined && serverId !== ctx.serverAddress) return silent(request, `DECLINE for server ${serverId}`, machine);
  const ip = readIpOption(request, Opt.RequestedIp);
  if (ip === undefined || !subnetOf(ctx.subnets, ip)) return silent(request, 'DECLINE without an address of ours', machine);
  const quarantined = await ctx.leases.decline(machine.mac, ip, ctx.now + ctx.config.declineHold * 1000, ctx.now);
  const outcome = silent(request, quarantined ? `quarantined ${ip}` : `${ip} was not offered to or held by this client: DECLINE ignored`, machine);
  outcome.yiaddr = ip;
  return outcome;
}

function inform(request: DhcpPacket, machine: Machine, ctx: ResponderContext): Outcome {
  if (request.ciaddr === '0.0.0.0') return silent(request, 'INFORM without ciaddr', machine);
  const subnet = request.giaddr !== '0.0.0.0' ? selectSubnet(ctx.subnets, request.giaddr, ctx.arrivedOn) : subnetOf(ctx.subnets, request.ciaddr);
  if (!subnet) return silent(request, `INFORM from ${request.ciaddr}, which is not in a served subnet`, machine);
  const answer = bootAnswer(machine, ctx, subnet);
  // RFC 2131 §4.3.5: no yiaddr, no lease time.
  return reply(request, machine, ctx, MessageType.Ack, '0.0.0.0', leaseReplyOptions(request, subnet, answer, ctx, false), answer, 'INFORM');
}
