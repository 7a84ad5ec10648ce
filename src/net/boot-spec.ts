/**
 * The boot-spec JSON, as the server sends it (`GET /api/v1/boot-spec/:mac`, built by `boot/boot-spec.ts`)
 * and `xenboot-pvboot` reads it: the one wire format the server and the dom0 client share. Types only.
 */

/** A file to fetch: its path on the server, its URL and, from servers that know it, size and SHA-256. */
export interface BootSpecFile {
  path: string;
  url: string;
  /** Size in bytes; a download of any other length is an error. */
  size?: number;
  /** SHA-256 of the contents, lower-case hex; a download with another digest is an error. */
  sha256?: string;
}

/** The boot-spec JSON. */
export interface BootSpec {
  mac: string;
  profile: string;
  kernel: BootSpecFile;
  ramdisk: BootSpecFile | null;
  /** The kernel command line. */
  args: string;
}
