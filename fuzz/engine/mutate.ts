/**
 * Byte-level mutations, in the manner of libFuzzer's and AFL's havoc stage: each new input is a corpus
 * entry changed by one to eight of these, chosen at random:
 * - flip one bit, or set a byte to a random value;
 * - add or subtract a small number to a byte, or to a 16/32-bit word in either byte order;
 * - overwrite with an "interesting" value (0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, …);
 * - insert random bytes, delete a range, copy a range elsewhere;
 * - repeat a range many times (how super-linear paths are found: a long run of one token);
 * - splice: the head of this entry and the tail of another;
 * - insert or overwrite with a token of the target's dictionary (option names, keywords, separators).
 * The result never exceeds the target's `maxLength`.
 */
import type { Random } from './random.js';

const INTERESTING_8 = [0, 1, 2, 16, 32, 64, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x3ff, 0x400, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x63825363];

type Mutation = (input: Buffer, context: MutationContext) => Buffer;

/** What a mutation may draw on besides the input. */
export interface MutationContext {
  random: Random;
  dictionary: readonly Buffer[];
  corpus: readonly Buffer[];
  maxLength: number;
}

function replaceRange(input: Buffer, at: number, removed: number, inserted: Buffer): Buffer {
  return Buffer.concat([input.subarray(0, at), inserted, input.subarray(at + removed)]);
}

function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = random.below(256);
  return bytes;
}

const flipBit: Mutation = (input, { random }) => {
  if (input.length === 0) return randomBytes(random, 1);
  const out = Buffer.from(input);
  out[random.below(out.length)]! ^= 1 << random.below(8);
  return out;
};

const setByte: Mutation = (input, { random }) => {
  if (input.length === 0) return randomBytes(random, 1);
  const out = Buffer.from(input);
  out[random.below(out.length)] = random.oneIn(2) ? random.below(256) : random.pick(INTERESTING_8);
  return out;
};

const arithmetic: Mutation = (input, { random }) => {
  const width = random.pick([1, 2, 4]);
  if (input.length < width) return setByte(input, { random, dictionary: [], corpus: [], maxLength: 1 });
  const out = Buffer.from(input);
  const at = random.below(out.length - width + 1);
  const delta = (random.below(35) + 1) * (random.oneIn(2) ? 1 : -1);
  const big = random.oneIn(2);
  if (width === 1) out[at] = (out[at]! + delta) & 0xff;
  else if (width === 2) {
    const value = ((big ? out.readUInt16BE(at) : out.readUInt16LE(at)) + delta) & 0xffff;
    if (big) out.writeUInt16BE(value, at);
    else out.writeUInt16LE(value, at);
  } else {
    const value = ((big ? out.readUInt32BE(at) : out.readUInt32LE(at)) + delta) >>> 0;
    if (big) out.writeUInt32BE(value, at);
    else out.writeUInt32LE(value, at);
  }
  return out;
};

const interestingWord: Mutation = (input, { random }) => {
  const width = random.pick([2, 4]);
  if (input.length < width) return randomBytes(random, width);
  const out = Buffer.from(input);
  const at = random.below(out.length - width + 1);
  const big = random.oneIn(2);
  if (width === 2) {
    const value = random.pick(INTERESTING_16);
    if (big) out.writeUInt16BE(value, at);
    else out.writeUInt16LE(value, at);
  } else {
    const value = random.pick(INTERESTING_32);
    if (big) out.writeUInt32BE(value, at);
    else out.writeUInt32LE(value, at);
  }
  return out;
};

const insertBytes: Mutation = (input, { random }) => {
  const bytes = random.oneIn(2) ? randomBytes(random, 1 + random.below(8)) : Buffer.alloc(1 + random.below(16), random.below(256));
  return replaceRange(input, random.below(input.length + 1), 0, bytes);
};

const deleteRange: Mutation = (input, { random }) => {
  if (input.length < 2) return input;
  const at = random.below(input.length);
  const length = 1 + random.below(Math.min(input.length - at, random.oneIn(4) ? input.length : 16));
  return replaceRange(input, at, length, Buffer.alloc(0));
};

const copyRange: Mutation = (input, { random }) => {
  if (input.length < 2) return input;
  const from = random.below(input.length);
  const length = 1 + random.below(Math.min(input.length - from, 32));
  const chunk = Buffer.from(input.subarray(from, from + length));
  const to = random.below(input.length + 1);
  return random.oneIn(2) ? replaceRange(input, to, 0, chunk) : replaceRange(input, to, Math.min(length, input.length - to), chunk);
};

const repeatRange: Mutation = (input, { random, maxLength }) => {
  if (input.length === 0) return input;
  const from = random.below(input.length);
  const length = 1 + random.below(Math.min(input.length - from, 8));
  const chunk = input.subarray(from, from + length);
  const room = Math.max(0, maxLength - input.length);
  const times = Math.min(1 << random.below(13), Math.floor(room / length));
  if (times === 0) return input;
  return replaceRange(input, from, 0, Buffer.concat(Array.from({ length: times }, () => chunk)));
};

const splice: Mutation = (input, { random, corpus }) => {
  if (corpus.length === 0) return input;
  const other = random.pick(corpus);
  const head = input.subarray(0, random.below(input.length + 1));
  const tail = other.subarray(random.below(other.length + 1));
  return Buffer.concat([head, tail]);
};

const dictionaryToken: Mutation = (input, { random, dictionary }) => {
  if (dictionary.length === 0) return input;
  const token = random.pick(dictionary);
  const at = random.below(input.length + 1);
  return random.oneIn(2) ? replaceRange(input, at, 0, token) : replaceRange(input, at, Math.min(token.length, input.length - at), token);
};

const MUTATIONS: readonly Mutation[] = [
  flipBit,
  setByte,
  arithmetic,
  interestingWord,
  insertBytes,
  deleteRange,
  copyRange,
  repeatRange,
  splice,
  dictionaryToken,
  dictionaryToken,
];

/** A new input from `input`: one to eight stacked mutations, cut to `maxLength`. */
export function mutate(input: Buffer, context: MutationContext): Buffer {
  let out = input;
  const rounds = 1 << context.random.below(4);
  for (let i = 0; i < rounds; i += 1) out = context.random.pick(MUTATIONS)(out, context);
  return out.length > context.maxLength ? out.subarray(0, context.maxLength) : out;
}
