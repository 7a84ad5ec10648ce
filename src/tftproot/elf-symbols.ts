/**
 * A minimal reader for the dynamic symbols of 32-bit little-endian ELF files, enough to check that
 * syslinux COM32 modules (`*.c32`, ELF shared objects since syslinux 5) fit together: defined and
 * undefined dynamic symbols, `DT_NEEDED` libraries and the `.comment` (compiler) string. Pure; throws `ElfError` on anything
 * that is not such a file, never reads out of bounds.
 */

/** Thrown for a buffer that is not a readable ELF32 LE shared object. */
export class ElfError extends Error {}

/** The dynamic linking facts of one module. */
export interface ElfDynamicInfo {
  /** Symbols the module defines (exports). */
  defined: Set<string>;
  /** Symbols the module needs from elsewhere. */
  undefined: Set<string>;
  /** `DT_NEEDED` entries (`libcom32.c32`). */
  needed: string[];
  /** The `.comment` section (the compiler that built it, e.g. `GCC: (Debian 10.2.0-5) 10.2.0`), if any. */
  comment: string | null;
}

const SHT_DYNSYM = 11;
const SHT_DYNAMIC = 6;
const DT_NEEDED = 1;
const SHN_UNDEF = 0;

function cString(buf: Buffer, offset: number): string {
  if (offset < 0 || offset >= buf.length) throw new ElfError(`string offset ${offset} out of range`);
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end === -1 ? buf.length : end);
}

/** Reads the dynamic symbols and needed libraries of an ELF32 LE file (ELF spec, "Dynamic Section"). */
export function readElfDynamic(buf: Buffer): ElfDynamicInfo {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file');
  if (buf[4] !== 1 || buf[5] !== 1) throw new ElfError('not a 32-bit little-endian ELF file');
  const shoff = buf.readUInt32LE(32);
  const shentsize = buf.readUInt16LE(46);
  const shnum = buf.readUInt16LE(48);
  if (shentsize < 40 || shoff + shnum * shentsize > buf.length) throw new ElfError('section headers out of range');
  const sections = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return { name: buf.readUInt32LE(at), type: buf.readUInt32LE(at + 4), offset: buf.readUInt32LE(at + 16), size: buf.readUInt32LE(at + 20), link: buf.readUInt32LE(at + 24), entsize: buf.readUInt32LE(at + 36) };
  });
  const within = (s: { offset: number; size: number }) => {
    if (s.offset + s.size > buf.length) throw new ElfError('section out of range');
  };
  const info: ElfDynamicInfo = { defined: new Set(), undefined: new Set(), needed: [], comment: null };
  const shstrndx = buf.readUInt16LE(50);
  const names = sections[shstrndx];
  if (names) {
    within(names);
    const nameTable = buf.subarray(names.offset, names.offset + names.size);
    const comment = sections.find((s) => s.name < nameTable.length && cString(nameTable, s.name) === '.comment');
    if (comment) {
      within(comment);
      info.comment = buf.toString('latin1', comment.offset, comment.offset + comment.size).split('\0').filter((c) => c !== '').join(' / ') || null;
    }
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (!dynsym) throw new ElfError('no dynamic symbol table');
  const strtab = sections[dynsym.link];
  if (!strtab) throw new ElfError('dynamic string table missing');
  within(dynsym);
  within(strtab);
  const strings = buf.subarray(strtab.offset, strtab.offset + strtab.size);
  const entsize = dynsym.entsize || 16;
  // Entry 0 is the reserved null symbol.
  for (let at = dynsym.offset + entsize; at + 16 <= dynsym.offset + dynsym.size; at += entsize) {
    const name = cString(strings, buf.readUInt32LE(at));
    if (name === '') continue;
    const bind = buf[at + 12]! >> 4;
    const shndx = buf.readUInt16LE(at + 14);
    if (shndx === SHN_UNDEF) {
      // Weak undefined symbols (bind 2) may stay unresolved.
      if (bind !== 2) info.undefined.add(name);
    } else info.defined.add(name);
  }
  const dynamic = sections.find((s) => s.type === SHT_DYNAMIC);
  if (dynamic) {
    within(dynamic);
    const dynstr = sections[dynamic.link] ?? strtab;
    within(dynstr);
    const dynStrings = buf.subarray(dynstr.offset, dynstr.offset + dynstr.size);
    for (let at = dynamic.offset; at + 8 <= dynamic.offset + dynamic.size; at += 8) {
      const tag = buf.readInt32LE(at);
      if (tag === 0) break;
      if (tag === DT_NEEDED) info.needed.push(cString(dynStrings, buf.readUInt32LE(at + 4)));
    }
  }
  return info;
}
