/**
 * The two-instance mode's filter on raw datagrams: which requests belong to another instance, decided
 * from a few bytes before anything is decoded. Every instance on the network receives every broadcast,
 * and half of them are the peer's: dropping those before the codec, the responder and the per-client
 * queue is what keeps a second instance from costing the first one half its CPU.
 *
 * The rule mirrors `HaMember.answers` (member.ts) for everything it can judge from the bytes, and keeps
 * whatever it cannot, so the member still decides for every datagram let through:
 * - only a BOOTREQUEST (op 1) from an Ethernet client (htype 1, hlen 6) is judged: its bucket is the
 *   RFC 3074 §6 hash of chaddr (bytes 28–33), as `bucketOfMac` computes it from the canonical MAC;
 * - kept when the bucket is set in `buckets` (a 256-bit mask, bit b of byte b >> 3, least significant bit
 *   first), when the client sent it to one of this instance's addresses itself (giaddr 0), or when it is
 *   a REQUEST whose option 54 names one of them; options overloaded into sname/file (option 52) are not
 *   read here, so such a request is kept.
 *
 * The native socket (native/pktinfo_socket.c, `for_a_peer`) applies the same rule in C as it drains the
 * kernel's queue; this is the node:dgram engine's copy and the reference the tests hold the C against.
 */
import { loadBalanceHash } from './load-balance.js';

/** What an instance answers: its buckets (32 bytes) and its addresses as 32-bit numbers. */
export interface Ownership {
  buckets: Uint8Array;
  addresses: readonly number[];
}

const OPTIONS_AT = 240;
const REQUEST = 3;

/** A 256-bit bucket mask with the buckets `owns(b)` set. */
export function bucketMask(owns: (bucket: number) => boolean): Uint8Array {
  const mask = new Uint8Array(32);
  for (let b = 0; b < 256; b++) if (owns(b)) mask[b >> 3]! |= 1 << (b & 7);
  return mask;
}

/**
 * True when `data` is a request for another instance and may be dropped undecoded. `destination` is the
 * datagram's destination address as a 32-bit number (255.255.255.255 for a limited broadcast).
 */
export function isForPeer(data: Uint8Array, destination: number, owner: Ownership): boolean {
  if (data.length < OPTIONS_AT || data[0] !== 1 || data[1] !== 1 || data[2] !== 6) return false;
  const bucket = loadBalanceHash(data.subarray(28, 34));
  if ((owner.buckets[bucket >> 3]! & (1 << (bucket & 7))) !== 0) return false;
  const relayed = (data[24]! | data[25]! | data[26]! | data[27]!) !== 0;
  if (!relayed && owner.addresses.includes(destination >>> 0)) return false;
  if (data[236] !== 99 || data[237] !== 130 || data[238] !== 83 || data[239] !== 99) return true;
  let type = 0;
  let serverId: number | null = null;
  for (let at = OPTIONS_AT; at < data.length; ) {
    const code = data[at]!;
    if (code === 0) {
      at += 1;
      continue;
    }
    if (code === 255 || at + 1 >= data.length) break;
    const size = data[at + 1]!;
    if (at + 2 + size > data.length) break;
    if (code === 53 && size >= 1 && type === 0) type = data[at + 2]!;
    if (code === 54 && size === 4 && serverId === null) serverId = ((data[at + 2]! << 24) | (data[at + 3]! << 16) | (data[at + 4]! << 8) | data[at + 5]!) >>> 0;
    if (code === 52) return false;
    at += 2 + size;
  }
  return !(type === REQUEST && serverId !== null && owner.addresses.includes(serverId));
}
