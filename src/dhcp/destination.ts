/**
 * Where a reply goes (RFC 2131 §4.1, "transmission rules"), adapted to the clients xenboot serves: a
 * client without an address gets a broadcast even when it did not set the broadcast flag, because Node
 * cannot unicast to an address the kernel has no ARP entry for, and pypxeboot's udhcpc in dom0 never
 * sees a unicast sent to the domU's MAC (boot-protocols.md §0 #3).
 */
import { MessageType, type DhcpPacket } from './packet.js';

/** Ports used for replies. */
export interface ReplyPorts {
  /** The server port (67): replies to a relay go to giaddr on this port. */
  server: number;
  /** The client port (68). */
  client: number;
}

/** The address and port a reply of `type` to `request` is sent to. */
export function replyDestination(request: DhcpPacket, type: number, ports: ReplyPorts): { address: string; port: number } {
  // Through a relay: always to the relay's address on the server port; the relay delivers it.
  if (request.giaddr !== '0.0.0.0') return { address: request.giaddr, port: ports.server };
  // A NAK is broadcast: the client's address is the one being refused.
  if (type === MessageType.Nak) return { address: '255.255.255.255', port: ports.client };
  // A client with an address (RENEWING, REBINDING, INFORM) gets a unicast.
  if (request.ciaddr !== '0.0.0.0') return { address: request.ciaddr, port: ports.client };
  return { address: '255.255.255.255', port: ports.client };
}
