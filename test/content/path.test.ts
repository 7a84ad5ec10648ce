import { describe, expect, it } from 'vitest';
import { normaliseContentPath } from '../../src/content/path.js';
import { ContentDenied } from '../../src/content/types.js';

describe('normaliseContentPath', () => {
  it.each([
    ['pxelinux.0', 'pxelinux.0'],
    ['/grub/grub.cfg-01-52-54-00-12-34-56', 'grub/grub.cfg-01-52-54-00-12-34-56'],
    ['//xen.gz', 'xen.gz'],
    ['\\boot\\pxelinux.0', 'boot/pxelinux.0'],
    ['\\/mixed//seps\\\\x', 'mixed/seps/x'],
    ['pxelinux.cfg/01-00-16-3E-11-22-33', 'pxelinux.cfg/01-00-16-3E-11-22-33'],
    ['./a/./b', 'a/b'],
    ['dir/', 'dir'],
    ['probe/52:54:00:12:34:56', 'probe/52:54:00:12:34:56'],
    ['a..b/c..', 'a..b/c..'],
    ['...', '...'],
  ])('%j → %j', (raw, expected) => {
    expect(normaliseContentPath(raw)).toBe(expected);
  });

  it.each([
    ['..', '".." component'],
    ['../etc/passwd', '".." component'],
    ['/../../etc/passwd', '".." component'],
    ['a/../../b', '".." component'],
    ['..\\..\\windows', '".." component'],
    ['a/b/..', '".." component'],
    ['file\u0000.txt', 'control character'],
    ['line\nbreak', 'control character'],
    ['tab\there', 'control character'],
    ['del\u007f', 'control character'],
    ['', 'empty path'],
    ['/', 'empty path'],
    ['\\\\', 'empty path'],
    ['./.', 'empty path'],
    ['x'.repeat(1025), 'at most 1024'],
  ])('refuses %j (%s)', (raw, reason) => {
    expect(() => normaliseContentPath(raw)).toThrow(ContentDenied);
    expect(() => normaliseContentPath(raw)).toThrow(reason);
  });
});
