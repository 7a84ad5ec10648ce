import { describe, expect, it } from 'vitest';
import { lintPypxebootConfig } from '../../src/boot/pypxeboot-lint.js';
import { argTokenProblem } from '../../src/inventory/pypxeboot-args.js';

const ok = 'DEFAULT netboot\nLABEL netboot\n  KERNEL domu/vmlinuz\n  APPEND initrd=domu/initrd.img root=/dev/xvda1 console=hvc0\n';

describe('pypxeboot linter (boot-protocols.md §1.5)', () => {
  it('accepts the minimal config pypxeboot parses correctly', () => {
    expect(lintPypxebootConfig(ok)).toEqual([]);
    expect(lintPypxebootConfig(`# comment\nSERIAL 0 115200\n${ok}`)).toEqual([]);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['bare flag', ok.replace('console=hvc0', 'console=hvc0 ro'), /bare flag "ro"/],
    ['two "="', ok.replace('console=hvc0', 'nfsroot=10.0.0.1:/srv,vers=3'), /"nfsroot=10\.0\.0\.1:\/srv,vers=3" has 2 "="/],
    ['first token without "="', ok.replace('APPEND initrd', 'APPEND quiet initrd'), /first APPEND token "quiet" has no "=".*NameError/],
    ['mboot.c32 APPEND', 'DEFAULT xen\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz dom0_mem=512M --- vmlinuz console=hvc0 --- initrd.img\n', /KERNEL mboot\.c32 is a COM32 module/],
    ['no APPEND', 'DEFAULT netboot\nLABEL netboot\n  KERNEL domu/vmlinuz\n', /has no APPEND: pypxeboot crashes \(TypeError\)/],
    ['empty APPEND', 'DEFAULT netboot\nLABEL netboot\n  KERNEL domu/vmlinuz\n  APPEND\n', /has no APPEND/],
    ['several entries', `${ok}LABEL other\n  KERNEL k\n  APPEND a=b\n`, /2 LABEL entries/],
    ['no KERNEL', 'DEFAULT netboot\nLABEL netboot\n  APPEND a=b\n', /has no KERNEL.*KeyError/],
    ['no DEFAULT', ok.replace('DEFAULT netboot\n', ''), /no DEFAULT/],
    ['DEFAULT not a label', ok.replace('DEFAULT netboot', 'DEFAULT menu.c32'), /DEFAULT "menu\.c32" is not a label name/],
    ['double space', ok.replace('DEFAULT netboot', 'DEFAULT  netboot'), /exactly one space after DEFAULT/],
    ['tab after LABEL', ok.replace('LABEL netboot', 'LABEL\tnetboot'), /exactly one space after LABEL/],
    ['INITRD line', `${ok}  INITRD domu/initrd.img\n`, /INITRD is ignored/],
    ['IPAPPEND', `${ok}  IPAPPEND 2\n`, /IPAPPEND is ignored/],
    ['arguments on KERNEL', ok.replace('KERNEL domu/vmlinuz', 'KERNEL domu/vmlinuz quiet'), /has arguments/],
    ['several initrds', ok.replace('initrd=domu/initrd.img', 'initrd=a.img,b.img'), /lists several initrds/],
    ['quote', ok.replace('console=hvc0', "x='y'"), /contains a quote/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses: ${name}`, () => {
      const problems = lintPypxebootConfig(text);
      expect(problems.map((p) => p.message).join('\n')).toMatch(message);
    });
  }

  it('judges argument tokens with template variables by their literal text', () => {
    expect(argTokenProblem('hostname={{host.hostname}}')).toBeNull();
    expect(argTokenProblem('{{vars.flag}}')).toMatch(/bare flag/);
    expect(argTokenProblem('a={{x}}=b')).toMatch(/2 "="/);
  });
});
