/**
 * The active probe of rogue DHCP detection: a DISCOVER from a reserved, locally administered MAC that no
 * machine uses, sent as a relay agent would send it. Pure: it builds the packet; `rogue-watch.ts` sends it.
 *
 * Why a relay's form (`giaddr` = xenboot's address, `hops` 1): RFC 2131 §4.1 has every server send its
 * reply to `giaddr` on the server port 67, so the OFFERs come back unicast to xenboot's own DHCP socket.
 * xenboot needs no socket on the client port 68 (which a DHCP client on the same host may hold), and no
 * other machine on the segment receives a broadcast OFFER for the probe. A server that ignores relayed
 * requests is not found this way; the passive watch still sees it when it answers a real client.
 *
 * Why it never takes a lease: only DISCOVERs are sent, never a REQUEST (RFC 2131 §4.3.1: an OFFER commits
 * nothing; servers that hold an offered address, as ISC dhcpd and Windows do, let it go after their offer
 * timeout, and dnsmasq and Kea hold nothing). One fixed MAC means a server offers it the same address every
 * time, so probing never drains a pool. Nothing needs giving back, so no RELEASE is sent; and a DECLINE is
 * never sent, since it would tell the server a free address is in use (RFC 2131 §3.1 step 5) and take it
 * out of its pool for everyone.
 */
import { macToBytes } from '../net/mac.js';
import { Opt } from './options.js';
import { MessageType, Op, type DhcpPacket } from './packet.js';

/** Option 60 of the probe: other servers' logs then say what the DISCOVER was (`--log-dhcp` prints it). */
export const PROBE_VENDOR_CLASS = 'xenboot-rogue-probe';

/** Options the probe asks for (option 55): enough for a server to answer as it would answer a PXE client. */
const PROBE_PARAMETERS = [Opt.SubnetMask, Opt.Router, Opt.DomainServer, Opt.ServerId, Opt.TftpServer, Opt.BootFile];

/** The probe DISCOVER from `probeMac`, relayed through `relayAddress` (xenboot's server address), with transaction `xid`. */
export function probeDiscover(probeMac: string, relayAddress: string, xid: number): DhcpPacket {
  const chaddr = Buffer.alloc(16);
  macToBytes(probeMac).copy(chaddr);
  return {
    op: Op.Request,
    htype: 1,
    hlen: 6,
    hops: 1,
    xid: xid >>> 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: relayAddress,
    chaddr,
    sname: '',
    file: '',
    type: MessageType.Discover,
    options: new Map([
      [Opt.ParameterList, Buffer.from(PROBE_PARAMETERS)],
      [Opt.VendorClass, Buffer.from(PROBE_VENDOR_CLASS, 'latin1')],
    ]),
  };
}
