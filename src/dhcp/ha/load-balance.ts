/**
 * RFC 3074 load balancing: which of several cooperating DHCP servers answers a client, decided by each of
 * them alone from the client's hardware address, so no message is exchanged per client.
 *
 * The hash is RFC 3074 §6 (Pearson's hash with the RFC's mixing table): start from the key's length and
 * mix the key's bytes from the last to the first. Every implementation must use this table (§6: "all
 * interoperable implementations MUST use this hash function"). The bucket (0–255) goes to server
 * `hash mod n` of the `n` servers in configured order, which is how Kea's HA hook (load-balancing mode,
 * `QueryFilter::loadBalance`) places a client: bucket 0 to the primary, 1 to the secondary. Kea hashes
 * option 61 when the client sends one; xenboot hashes `chaddr` always, because the rest of xenboot (leases,
 * inventory, rate limit) is keyed by MAC and PXE ROMs differ in whether, and how, they send option 61.
 */

/** RFC 3074 §6, `loadb_mx_tbl`: the 256 values 0–255 in the RFC's pseudo-random order. */
const mixingTable = Uint8Array.from([
  251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232, 31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57,
  223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65, 180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209,
  23, 97, 16, 40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67, 207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77,
  193, 200, 121, 5, 20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150, 212, 142,
  218, 115, 241, 73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84, 82, 163, 44, 139, 228, 236, 205,
  242, 217, 11, 187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118, 112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164,
  102, 147, 45, 66, 231, 52, 141, 211, 194, 206, 246, 238, 56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50, 33, 104,
  101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4, 216,
  131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
]);

/** The RFC 3074 mixing table, for tests (a copy). */
export function rfc3074MixingTable(): Uint8Array {
  return Uint8Array.from(mixingTable);
}

/** RFC 3074 §6 hash of `key`: its hash bucket, 0–255. */
export function loadBalanceHash(key: Uint8Array): number {
  // `unsigned char hash = len;` — the length is taken modulo 256, as the C assignment does.
  let hash = key.length & 0xff;
  for (let i = key.length; i > 0; ) hash = mixingTable[hash ^ key[--i]!]!;
  return hash;
}

/** The value of one hexadecimal digit (character code), either case. */
function hexDigit(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/**
 * The hash bucket of a client, by its canonical MAC (`aa:bb:cc:dd:ee:ff`): the same as
 * `loadBalanceHash` of its six bytes, read straight from the string. It runs for every request in the
 * two-instance mode, where splitting the string and building an array cost several per cent of an
 * instance's CPU.
 */
export function bucketOfMac(mac: string): number {
  if (mac.length !== 17) return loadBalanceHash(Uint8Array.from(mac.split(':'), (byte) => parseInt(byte, 16)));
  let hash = 6;
  for (let at = 15; at >= 0; at -= 3) hash = mixingTable[hash ^ ((hexDigit(mac.charCodeAt(at)) << 4) | hexDigit(mac.charCodeAt(at + 1)))]!;
  return hash;
}

/** The index, in the configured peer order, of the server a bucket belongs to when all `peerCount` are up. */
export function primaryPeerOf(bucket: number, peerCount: number): number {
  return bucket % peerCount;
}
