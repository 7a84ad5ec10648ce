/**
 * A minimal writer of the cpio "newc" format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Pure: entries in, bytes out. Building
 * the archive here (instead of running `cpio` on a staging directory) lets it hold device nodes such as
 * `/dev/console` without root and keeps the result byte-for-byte reproducible.
 */

/** One archive member. `mode` carries the file type bits (0o100000 file, 0o040000 dir, …). */
export interface CpioEntry {
  path: string;
  mode: number;
  data?: Buffer;
  /** For character/block devices. */
  rdevMajor?: number;
  rdevMinor?: number;
}

/** Regular file of the given permission bits. */
export function cpioFile(path: string, data: Buffer, permissions = 0o644): CpioEntry {
  return { path, mode: 0o100000 | permissions, data };
}

/** Directory. */
export function cpioDirectory(path: string): CpioEntry {
  return { path, mode: 0o040755 };
}

/** Symbolic link (the target is the member's data). */
export function cpioSymlink(path: string, target: string): CpioEntry {
  return { path, mode: 0o120777, data: Buffer.from(target) };
}

/** Character device node. */
export function cpioCharDevice(path: string, major: number, minor: number): CpioEntry {
  return { path, mode: 0o020600, rdevMajor: major, rdevMinor: minor };
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(entry: CpioEntry, inode: number, name: string, size: number): Buffer {
  const fields = [
    inode,
    entry.mode,
    0, // uid
    0, // gid
    (entry.mode & 0o170000) === 0o040000 ? 2 : 1, // nlink
    0, // mtime: fixed for reproducible archives
    size,
    0, // devmajor
    0, // devminor
    entry.rdevMajor ?? 0,
    entry.rdevMinor ?? 0,
    Buffer.byteLength(name) + 1,
    0, // check
  ];
  return Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
}

/** Encodes `entries` (parents before children) as a newc archive with its `TRAILER!!!`. */
export function encodeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (buffer: Buffer) => {
    parts.push(buffer);
    offset += buffer.length;
  };
  const member = (entry: CpioEntry, inode: number) => {
    const name = entry.path.replace(/^\/+/, '');
    const data = entry.data ?? Buffer.alloc(0);
    push(header(entry, inode, name, data.length));
    push(Buffer.from(name + '\0'));
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  entries.forEach((entry, index) => member(entry, index + 1));
  member({ path: 'TRAILER!!!', mode: 0 }, 0);
  return Buffer.concat(parts);
}
