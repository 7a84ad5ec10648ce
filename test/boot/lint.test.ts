import { describe, expect, it } from 'vitest';
import { lintPypxebootConfig } from '../../src/boot/pypxeboot-lint.js';
import { argListProblems, argTokenProblem } from '../../src/inventory/pypxeboot-args.js';
import { inventoryProblems } from '../../src/inventory/checks.js';
import type { Profile } from '../../src/inventory/model.js';
import { argsSxp, argsText, parseLikePypxeboot } from '../clients/pypxeboot.js';
import { readXendSxp, SxpParseError } from '../clients/xend-sxp.js';
import { BootRenderer } from '../../src/boot/render.js';
import { TemplateSet } from '../../src/boot/templates.js';
import { bootSpecFor, BootSpecError } from '../../src/boot/boot-spec.js';
import { mayBePypxeboot } from '../../src/boot/loaders/pypxeboot.js';

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

describe('pypxeboot lint: what the real pypxeboot 0.0.3 found', () => {
  const wrap = (append: string) => `DEFAULT netboot\nLABEL netboot\n  KERNEL domu/vmlinuz\n  APPEND ${append}\n`;

  it('an APPEND with only initrd= makes pypxeboot write (args \'), which xend cannot read; the lint refuses it', () => {
    const text = wrap('initrd=domu/initrd.img');
    const parse = parseLikePypxeboot(text);
    const sxp = `linux (kernel /var/lib/xen/vmlinuz)(ramdisk /var/lib/xen/initrd.img)${argsSxp(parse.appendKeys!)}`;
    expect(sxp).toMatch(/\(args '\)$/);
    expect(() => readXendSxp(sxp)).toThrow(SxpParseError);
    expect(lintPypxebootConfig(text).map((p) => p.message).join('\n')).toMatch(/\(args '\)/);
    // With one argument the same reader takes it.
    const fine = parseLikePypxeboot(wrap('initrd=domu/initrd.img console=hvc0'));
    expect(readXendSxp(`linux (kernel k)${argsSxp(fine.appendKeys!)}`)).toEqual(['linux', ['kernel', 'k'], ['args', 'console=hvc0']]);
    expect(lintPypxebootConfig(wrap('initrd=domu/initrd.img console=hvc0'))).toEqual([]);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['a key given twice', 'initrd=i console=tty0 console=hvc0', /"console=" is given twice/],
    ['initrd= twice (one from the arguments)', 'initrd=i root=/dev/xvda1 initrd=other.img', /"initrd=" is given twice/],
    ['kernel= in APPEND', 'initrd=i root=/dev/xvda1 kernel=other', /pypxeboot drops kernel=/],
    ['an empty value', 'initrd=i root=/dev/xvda1 console=', /"console=" has an empty value.*bare key "console"/],
  ];
  for (const [name, append, message] of refused) {
    it(`refuses ${name}, which pypxeboot misreads`, () => {
      expect(lintPypxebootConfig(wrap(append)).map((p) => p.message).join('\n')).toMatch(message);
    });
  }

  it('pypxeboot really keeps one of two keys and writes an empty value as a bare key', () => {
    const parse = parseLikePypxeboot(wrap('initrd=i console=tty0 console=hvc0 quiet='));
    expect(argsText(parse.args!)).toBe('console=hvc0 quiet');
  });

  it('argListProblems judges a profile\'s arguments before rendering', () => {
    expect(argListProblems(['root=/dev/xvda1', 'console=hvc0'], { initrd: true })).toEqual([]);
    expect(argListProblems(['console=tty0', 'console=hvc0'], { initrd: false })).toEqual([{ index: 1, message: expect.stringMatching(/given twice.*args\[0\]/) }]);
    expect(argListProblems(['root=/dev/xvda1', 'initrd=x.img'], { initrd: false })[0]).toMatchObject({ index: 1, message: expect.stringMatching(/set the profile's initrd/) });
    expect(argListProblems(['kernel=x'], { initrd: false })[0]).toMatchObject({ index: 0, message: expect.stringMatching(/profile's kernel/) });
    expect(argListProblems(['console='], { initrd: false })[0]).toMatchObject({ index: 0, message: expect.stringMatching(/empty value/) });
    expect(argListProblems([], { initrd: true })).toEqual([{ index: null, message: expect.stringMatching(/\(args '\)/) }]);
    expect(argListProblems([], { initrd: false })).toEqual([{ index: null, message: expect.stringMatching(/TypeError/) }]);
    // A key that is a variable is judged after rendering.
    expect(argListProblems(['{{vars.k}}=a', '{{vars.k}}=b'], { initrd: false })).toEqual([]);
  });
});

describe('xen-domu bootloaders', () => {
  const domu = (extra: object) => ({ name: 'd', kind: 'xen-domu', kernel: 'k', initrd: 'i', args: ['nfsroot=10.0.0.1:/srv,vers=3'], memory: 512, vcpus: 1, bridge: 'xenbr0', disks: [{ type: 'phy', target: '/dev/x', vdev: 'xvda', access: 'w' }], bootloader: 'xenboot-pvboot', ...extra }) as Profile;
  const problems = (profile: Profile) => inventoryProblems({ profiles: [profile], hosts: [], groups: [] });

  it('lints for pypxeboot only where the profile serves it', () => {
    expect(problems(domu({})).map((p) => p.path)).toEqual(['profiles[0].args[0]']);
    expect(problems(domu({ bootloaders: ['pypxeboot'] })).map((p) => p.path)).toEqual(['profiles[0].args[0]']);
    expect(problems(domu({ bootloaders: ['pvboot'] }))).toEqual([]);
  });

  it('refuses an empty list and a bootloader named twice', () => {
    expect(problems(domu({ args: ['a=b'], bootloaders: [] }))).toEqual([{ path: 'profiles[0].bootloaders', message: expect.stringMatching(/is empty/) }]);
    expect(problems(domu({ args: ['a=b'], bootloaders: ['pvboot', 'pvboot'] }))).toEqual([{ path: 'profiles[0].bootloaders', message: 'lists pvboot twice' }]);
  });
});

describe('xen-domu bootloaders at render and boot-spec time', () => {
  const renderer = new BootRenderer(TemplateSet.load(), { address: '10.99.0.1', publicUrl: 'http://10.99.0.1:8080' });
  const base = { name: 'd', kind: 'xen-domu', kernel: 'k', initrd: 'i', memory: 512, vcpus: 1, bridge: 'xenbr0', disks: [{ type: 'phy', target: '/dev/x', vdev: 'xvda', access: 'w' }], bootloader: 'xenboot-pvboot' };
  const subject = (extra: object) => ({ mac: '00:16:3e:00:00:01', profile: { ...base, ...extra } as Profile, vars: {}, known: true });

  it('a pvboot-only profile gets its boot spec with any arguments, and pypxeboot no PXELINUX file', () => {
    const nfs = subject({ args: ['nfsroot=10.0.0.1:/srv,vers=3'], bootloaders: ['pvboot'] });
    expect(bootSpecFor(nfs, renderer, 'http://10.99.0.1:8080').args).toBe('nfsroot=10.0.0.1:/srv,vers=3');
    expect(() => renderer.render('pxelinux', nfs, { pypxeboot: true })).toThrow(/served to xenboot-pvboot only/);
  });

  it('a pypxeboot-only profile gets its PXELINUX file, and xenboot-pvboot no boot spec', () => {
    const only = subject({ args: ['console=hvc0'], bootloaders: ['pypxeboot'] });
    expect(renderer.render('pxelinux', only, { pypxeboot: true })).toContain('APPEND initrd=i console=hvc0');
    expect(() => bootSpecFor(only, renderer, 'http://10.99.0.1:8080')).toThrow(BootSpecError);
  });

  it('the final render is linted with the host variables in it', () => {
    const withVar = { ...subject({ args: ['root=/dev/xvda1', 'console={{vars.console}}'] }), vars: { console: '' } };
    expect(() => renderer.render('pxelinux', withVar, { pypxeboot: true })).toThrow(/"console=" has an empty value/);
    // A known 00:16:3e host with a linux profile is linted as a domU too.
    const linux = { mac: '00:16:3e:00:00:02', profile: { name: 'l', kind: 'linux', kernel: 'k', initrds: [], args: ['ro'] } as Profile, vars: {}, known: true };
    expect(() => renderer.render('pxelinux', linux, { pypxeboot: mayBePypxeboot(linux) })).toThrow(/bare flag "ro"/);
  });
});
