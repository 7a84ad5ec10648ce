/**
 * The boot-spec JSON, as the server sends it (`GET /api/v1/boot-spec/:mac`, built by `boot/boot-spec.ts`)
 * and `xenboot-pvboot` reads it: the one wire format the server and the dom0 client share. Types only.
 */

/** A file to fetch: its path on the server and its URL. */
export interface BootSpecFile {
  path: string;
  url: string;
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
