/**
 * Normalising a requested file name into a path under the served root. Shared by TFTP and HTTP, so the
 * rules live in one place: boot clients disagree on separators and leading slashes (GRUB sends
 * `/grub/grub.cfg`, some Windows-built NBPs send `\boot\x`), and hostile clients send `..` and control
 * characters. Pure: no file system access here (`static-files.ts` confines by realpath afterwards).
 */
import { ContentDenied } from './types.js';

/** Longest path accepted, in characters (PXELINUX documents 127; leave room for generated names). */
export const MAX_CONTENT_PATH_LENGTH = 1024;

// NUL, C0 controls and DEL. A NUL would truncate the name in any C library below us; the others have no
// business in a boot file name and only show up in probes.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Turns a client's path into a root-relative path with `/` separators: strips leading `/` and `\`,
 * turns `\` into `/`, collapses repeated separators and drops `.` components.
 * Throws `ContentDenied` for `..` components, control characters, over-long or empty names.
 */
export function normaliseContentPath(rawPath: string): string {
  if (rawPath.length > MAX_CONTENT_PATH_LENGTH) {
    throw new ContentDenied(`path is ${rawPath.length} characters, at most ${MAX_CONTENT_PATH_LENGTH} allowed`);
  }
  if (CONTROL_CHARACTERS.test(rawPath)) throw new ContentDenied('path contains a control character');
  const components: string[] = [];
  for (const component of rawPath.replace(/\\/g, '/').split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') throw new ContentDenied('path contains a ".." component');
    components.push(component);
  }
  if (components.length === 0) throw new ContentDenied('empty path');
  return components.join('/');
}
