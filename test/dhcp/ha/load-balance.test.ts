import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOfMac, loadBalanceHash, primaryPeerOf, rfc3074MixingTable } from '../../../src/dhcp/ha/load-balance.js';

describe('RFC 3074 load-balancing hash', () => {
  it('uses the RFC §6 mixing table: a permutation of 0–255 in the printed order', () => {
    const table = rfc3074MixingTable();
    expect(table.length).toBe(256);
    expect(new Set(table).size).toBe(256);
    // The first and last entries as printed in RFC 3074 §6.
    expect([...table.slice(0, 8)]).toEqual([251, 175, 119, 215, 81, 14, 79, 191]);
    expect([...table.slice(-8)]).toEqual([149, 80, 170, 68, 6, 169, 234, 151]);
  });

  it('starts from the key length and mixes the bytes last to first (RFC 3074 §6 loadb_p_hash)', () => {
    const T = rfc3074MixingTable();
    // One byte: hash = T[1 ^ k].
    expect(loadBalanceHash(Uint8Array.from([0x00]))).toBe(T[1]);
    expect(loadBalanceHash(Uint8Array.from([0x01]))).toBe(T[0]);
    // Two bytes [a, b]: hash = T[T[2 ^ b] ^ a] (b is mixed first).
    const [a, b] = [0x12, 0x34];
    expect(loadBalanceHash(Uint8Array.from([a, b]))).toBe(T[T[2 ^ b]! ^ a]);
    expect(loadBalanceHash(Uint8Array.from([a, b]))).not.toBe(T[T[2 ^ a]! ^ b]);
    // Empty key: the length, unmixed.
    expect(loadBalanceHash(new Uint8Array(0))).toBe(0);
  });

  it('hashes a MAC by its six bytes, the same for every spelling the server canonicalises to', () => {
    const T = rfc3074MixingTable();
    const bytes = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    let expected = 6;
    for (let i = bytes.length - 1; i >= 0; i--) expected = T[expected ^ bytes[i]!]!;
    expect(bucketOfMac('52:54:00:12:34:56')).toBe(expected);
  });

  it('reads a MAC string straight into the same bucket as the hash of its bytes, in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.boolean(), (bytes, upper) => {
        const text = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
        expect(bucketOfMac(upper ? text.toUpperCase() : text)).toBe(loadBalanceHash(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('splits clients about evenly between two peers, and each bucket always to the same one', () => {
    const counts = [0, 0];
    for (let i = 0; i < 20_000; i++) {
      const mac = [0x02, 0x00, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, (i * 7) & 0xff].map((x) => x.toString(16).padStart(2, '0')).join(':');
      counts[primaryPeerOf(bucketOfMac(mac), 2)]! += 1;
    }
    expect(counts[0]! / 20_000).toBeGreaterThan(0.45);
    expect(counts[0]! / 20_000).toBeLessThan(0.55);
    expect(primaryPeerOf(bucketOfMac('02:00:00:00:00:01'), 2)).toBe(primaryPeerOf(bucketOfMac('02:00:00:00:00:01'), 2));
  });
});
