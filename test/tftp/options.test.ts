import { describe, expect, it } from 'vitest';
import { negotiateTftpOptions } from '../../src/tftp/codec/options.js';
import type { TftpOption } from '../../src/tftp/codec/packet.js';

const limits = { maxBlksize: 65464, maxWindowsize: 64 };
const opts = (...pairs: Array<[string, string]>): TftpOption[] => pairs.map(([name, value]) => ({ name, value }));

describe('TFTP option negotiation', () => {
  it('without options: 512-byte lock-step, no OACK', () => {
    expect(negotiateTftpOptions([], 1000, limits)).toEqual({ blksize: 512, windowsize: 1, timeoutMs: null, accepted: [] });
  });

  it('answers PXELINUX (tsize 0, blksize 1408) with the real size, in the client’s order', () => {
    const result = negotiateTftpOptions(opts(['tsize', '0'], ['blksize', '1408']), 123456, limits);
    expect(result.accepted).toEqual(opts(['tsize', '123456'], ['blksize', '1408']));
    expect(result.blksize).toBe(1408);
  });

  it('answers UEFI (tsize, blksize 1468, windowsize 4)', () => {
    const result = negotiateTftpOptions(opts(['tsize', '0'], ['blksize', '1468'], ['windowsize', '4']), 5, limits);
    expect(result).toEqual({ blksize: 1468, windowsize: 4, timeoutMs: null, accepted: opts(['tsize', '5'], ['blksize', '1468'], ['windowsize', '4']) });
  });

  it('treats names case-insensitively and keeps the client’s spelling', () => {
    const result = negotiateTftpOptions(opts(['BLKSIZE', '1024'], ['TSize', '0']), 9, limits);
    expect(result.accepted).toEqual(opts(['BLKSIZE', '1024'], ['TSize', '9']));
  });

  it('clamps blksize to the configured maximum and to 65464', () => {
    expect(negotiateTftpOptions(opts(['blksize', '9000']), 1, { ...limits, maxBlksize: 1468 }).accepted).toEqual(opts(['blksize', '1468']));
    expect(negotiateTftpOptions(opts(['blksize', '65535']), 1, limits).blksize).toBe(65464);
    expect(negotiateTftpOptions(opts(['blksize', '8']), 1, limits).blksize).toBe(8);
  });

  it('clamps windowsize to the configured maximum', () => {
    expect(negotiateTftpOptions(opts(['windowsize', '1000']), 1, limits).accepted).toEqual(opts(['windowsize', '64']));
  });

  it('lowers windowsize so that windowsize × blksize fits maxWindowBytes (96 KiB by default), whatever the option order', () => {
    const big = negotiateTftpOptions(opts(['windowsize', '16'], ['blksize', '8192']), 1, limits);
    expect(big).toMatchObject({ blksize: 8192, windowsize: 12, accepted: opts(['windowsize', '12'], ['blksize', '8192']) });
    expect(negotiateTftpOptions(opts(['blksize', '65464'], ['windowsize', '8']), 1, limits)).toMatchObject({ blksize: 65464, windowsize: 1 });
    // 1468-byte blocks: the configured maximum (64, 94 KB) is the bound.
    expect(negotiateTftpOptions(opts(['blksize', '1468'], ['windowsize', '100']), 1, limits).windowsize).toBe(64);
    // Without a blksize option, 512-byte blocks; a larger budget lets big windows through.
    expect(negotiateTftpOptions(opts(['windowsize', '300']), 1, { ...limits, maxWindowsize: 1000 }).windowsize).toBe(192);
    expect(negotiateTftpOptions(opts(['blksize', '65464'], ['windowsize', '8']), 1, { ...limits, maxWindowBytes: 1 << 20 }).windowsize).toBe(8);
  });

  it('accepts timeout 1..255 exactly and uses it', () => {
    expect(negotiateTftpOptions(opts(['timeout', '3']), 1, limits)).toMatchObject({ timeoutMs: 3000, accepted: opts(['timeout', '3']) });
    expect(negotiateTftpOptions(opts(['timeout', '255']), 1, limits).timeoutMs).toBe(255_000);
  });

  it.each([
    ['blksize', '7'],
    ['blksize', '0'],
    ['blksize', '-1'],
    ['blksize', '1e3'],
    ['blksize', ' 512'],
    ['blksize', ''],
    ['blksize', '99999999999999999999'],
    ['timeout', '0'],
    ['timeout', '256'],
    ['timeout', 'x'],
    ['windowsize', '0'],
    ['windowsize', 'many'],
    ['tsize', 'abc'],
    ['multicast', ''],
    ['rollover', '0'],
  ])('ignores %s=%j (not acknowledged, defaults kept)', (name, value) => {
    expect(negotiateTftpOptions(opts([name, value]), 10, limits)).toEqual({ blksize: 512, windowsize: 1, timeoutMs: null, accepted: [] });
  });

  it('uses the first of duplicate options', () => {
    const result = negotiateTftpOptions(opts(['blksize', '1024'], ['BlkSize', '2048'], ['tsize', '0'], ['tsize', '5']), 7, limits);
    expect(result.accepted).toEqual(opts(['blksize', '1024'], ['tsize', '7']));
    expect(result.blksize).toBe(1024);
  });

  it('acknowledges only what was asked for, ignoring unknown options in between', () => {
    const result = negotiateTftpOptions(opts(['foo', 'bar'], ['blksize', '1432'], ['utimeout', '1000']), 7, limits);
    expect(result.accepted).toEqual(opts(['blksize', '1432']));
  });
});
