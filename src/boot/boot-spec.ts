/**
 * Building the boot spec `xenboot-pvboot` asks the server for (`GET /api/v1/boot-spec/:mac`): the domU's
 * kernel, ramdisk and command line, with the URLs to fetch them (the JSON shape is `net/boot-spec.ts`,
 * shared with the client). Built from the same profile and argument rendering as the pypxeboot file, so
 * both bootloaders start a domU identically.
 */
import type { BootSpec, BootSpecFile } from '../net/boot-spec.js';
import type { RenderSubject, BootRenderer } from './render.js';
import { RenderError } from './render.js';

/** Thrown when the machine's profile cannot be booted as a PV domU. */
export class BootSpecError extends Error {}

/** The boot spec of a machine whose profile is `xen-domu` (or `linux` with at most one initrd). */
export function bootSpecFor(subject: RenderSubject, renderer: BootRenderer, publicUrl: string): BootSpec {
  const profile = subject.profile;
  const url = (path: string) => `${publicUrl.replace(/\/+$/, '')}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const file = (path: string): BootSpecFile => ({ path, url: url(path) });
  let kernel: string;
  let ramdisk: string | undefined;
  let tokens: readonly string[];
  if (profile.kind === 'xen-domu') {
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
    args = renderer.renderArgs(tokens, renderer.contextFor(subject));
  } catch (error) {
    if (error instanceof RenderError) throw new BootSpecError(error.message);
    throw error;
  }
  return { mac: subject.mac, profile: profile.name, kernel: file(kernel), ramdisk: ramdisk === undefined ? null : file(ramdisk), args: args.join(' ') };
}
