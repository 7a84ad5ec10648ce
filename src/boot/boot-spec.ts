/**
 * Building the boot spec `xenboot-pvboot` asks the server for (`GET /api/v1/boot-spec/:mac`): the domU's
 * kernel, ramdisk and command line, with the URLs to fetch them (the JSON shape is `net/boot-spec.ts`,
 * shared with the client). Built from the same profile and argument rendering as the pypxeboot file, so
 * both bootloaders start a domU identically.
 */
import { createHash } from 'node:crypto';
import type { BootSpec, BootSpecFile } from '../net/boot-spec.js';
import type { RenderSubject, BootRenderer } from './render.js';
import { RenderError } from './render.js';
import { servesBootloader } from '../inventory/model.js';

/** Thrown when the machine's profile cannot be booted as a PV domU. */
export class BootSpecError extends Error {}

/**
 * The boot spec of a machine whose profile is `xen-domu` (or `linux` with at most one initrd); its URLs (and
 * `server.httpUrl` in its arguments) are on `publicUrl`, the public URL of the asking client's network.
 */
export function bootSpecFor(subject: RenderSubject, renderer: BootRenderer, publicUrl: string): BootSpec {
  const profile = subject.profile;
  const url = (path: string) => `${publicUrl.replace(/\/+$/, '')}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const file = (path: string): BootSpecFile => ({ path, url: url(path) });
  let kernel: string;
  let ramdisk: string | undefined;
  let tokens: readonly string[];
  if (profile.kind === 'xen-domu') {
    if (!servesBootloader(profile, 'pvboot')) throw new BootSpecError(`profile "${profile.name}" is served to pypxeboot only (bootloaders: [${profile.bootloaders!.join(', ')}]): no boot spec for xenboot-pvboot`);
    kernel = profile.kernel;
    ramdisk = profile.initrd;
    tokens = profile.args;
  } else if (profile.kind === 'linux') {
    if (profile.initrds.length > 1) throw new BootSpecError(`profile "${profile.name}" has ${profile.initrds.length} initrds; a PV domU takes one ramdisk`);
    kernel = profile.kernel;
    ramdisk = profile.initrds[0];
    tokens = profile.args;
  } else {
    throw new BootSpecError(`profile "${profile.name}" is ${profile.kind}: xenboot-pvboot boots xen-domu (or linux) profiles only`);
  }
  let args: string[];
  try {
    args = renderer.renderArgs(tokens, renderer.contextFor(subject, publicUrl));
  } catch (error) {
    if (error instanceof RenderError) throw new BootSpecError(error.message);
    throw error;
  }
  return { mac: subject.mac, profile: profile.name, kernel: file(kernel), ramdisk: ramdisk === undefined ? null : file(ramdisk), args: args.join(' ') };
}

/**
 * A boot file as `withFileDigests` reads it: its size and ranged reads. The content chain's files have this
 * shape; naming only what is read keeps the boot spec free of where files are served from.
 */
export interface DigestableFile {
  readonly size: number;
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Reads `content` through and returns its SHA-256 (hex). */
async function contentSha256(content: DigestableFile): Promise<string> {
  const hash = createHash('sha256');
  const chunk = 1 << 20;
  for (let position = 0; position < content.size; ) {
    const data = await content.read(position, Math.min(chunk, content.size - position));
    if (data.length === 0) throw new BootSpecError(`file ended early at byte ${position} of ${content.size}`);
    hash.update(data);
    position += data.length;
  }
  return hash.digest('hex');
}

/**
 * Adds `size` and `sha256` to the spec's kernel and ramdisk, read through `open` (the content chain the
 * file is served from, so the digest is of exactly what a download gets). A file that cannot be opened is
 * a `BootSpecError` (the boot would fail at the download).
 */
export async function withFileDigests(spec: BootSpec, open: (path: string) => Promise<DigestableFile | null>): Promise<BootSpec> {
  const describe = async (file: BootSpecFile): Promise<BootSpecFile> => {
    const content = await open(file.path);
    if (content === null) throw new BootSpecError(`${file.path} is not in the TFTP root`);
    try {
      return { ...file, size: content.size, sha256: await contentSha256(content) };
    } finally {
      await content.close();
    }
  };
  return { ...spec, kernel: await describe(spec.kernel), ramdisk: spec.ramdisk === null ? null : await describe(spec.ramdisk) };
}
