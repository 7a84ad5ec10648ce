import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIpxeMultiboot, multibootCmdlineBytes } from '../../src/boot/ipxe-limits.js';
import { BootRenderer, RenderError } from '../../src/boot/render.js';
import { TemplateError, TemplateSet } from '../../src/boot/templates.js';
import { runCommand } from '../../lab/process.js';
import { writeTempConfig, xenbootCommand } from '../../lab/xenboot.js';
import { dom0, domu, profile, server } from './fixtures.js';

const renderer = new BootRenderer(TemplateSet.load(), server);
const subject = (p = dom0) => ({ mac: '52:54:00:12:34:56', profile: p, vars: {}, known: true });

describe('iPXE multiboot limits (512 bytes of command lines including URIs, 8 modules)', () => {
  it('counts URI, space, args and NUL per image, as iPXE multiboot.c does', () => {
    expect(multibootCmdlineBytes([{ path: 'xen', args: 'a=1' }, { path: 'initrd.img', args: '' }], 'tftp://10.0.0.1')).toBe(
      'tftp://10.0.0.1/xen a=1\0'.length + 'tftp://10.0.0.1/initrd.img\0'.length,
    );
  });

  it('renders up to the limit and refuses one byte past it', () => {
    // Fill the dom0 arguments so the total lands exactly on 512 bytes, then add one byte.
    const base = 'tftp://10.99.0.1';
    const fixed = multibootCmdlineBytes(
      [
        { path: 'xen', args: dom0.xen.args.join(' ') },
        { path: 'vmlinuz', args: 'BOOTIF=01-52-54-00-12-34-56' },
        { path: 'initrd.img', args: '' },
      ],
      base,
    );
    const fill = (n: number) => profile({ ...dom0, dom0: { ...dom0.dom0, args: [`x=${'a'.repeat(n - 2)}`] } });
    const room = 512 - fixed - 1; // the filler token and the space after it
    expect(renderer.render('ipxe-pcbios', subject(fill(room) as typeof dom0), { ipxeBase: base })).toContain('module /vmlinuz x=');
    expect(() => renderer.render('ipxe-pcbios', subject(fill(room + 1) as typeof dom0), { ipxeBase: base })).toThrow(/need 513 bytes including image URIs/);
    // A longer HTTP base leaves less room for the same profile.
    expect(() => renderer.render('ipxe-pcbios', subject(fill(room) as typeof dom0), { ipxeBase: 'http://10.99.0.1:8080' })).toThrow(RenderError);
  });

  it('refuses more than 8 modules and a gzip-only Xen', () => {
    // The schema allows 6 initrds; the check itself guards any other caller.
    const images = ['xen', 'vmlinuz', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8'].map((path) => ({ path, args: '' }));
    expect(() => checkIpxeMultiboot(images, 'tftp://10.0.0.1', 'p')).toThrow(/at most 8 multiboot modules, this needs 9/);
    const gz = profile({ ...dom0, xen: { image: 'xen.gz', args: [] } });
    expect(() => renderer.render('ipxe-pcbios', subject(gz as typeof dom0))).toThrow(/iPXE cannot load a compressed Xen \(xen\.gz\)/);
  });

  it('refuses a variable that is missing or would split an argument', () => {
    const p = profile({ ...domu, args: ['root={{vars.root}}'] });
    expect(() => renderer.render('pxelinux', subject(p as typeof dom0))).toThrow(/"root=\{\{vars\.root\}\}": "root" not defined/);
    expect(() => renderer.render('pxelinux', { ...subject(p as typeof dom0), vars: { root: '/dev/xvda1 ro' } })).toThrow(/one argument must be one non-empty word/);
    expect(() => renderer.render('pxelinux', { ...subject(p as typeof dom0), vars: { root: 'a=b' } }, { pypxeboot: true })).toThrow(/"root=a=b" has 2 "="/);
  });
});

describe('templates', () => {
  it('a user template directory overrides built-in templates file by file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-templates-'));
    mkdirSync(join(dir, 'pxelinux'));
    writeFileSync(join(dir, 'pxelinux', 'localboot.hbs'), 'DEFAULT local\nLABEL local\n  LOCALBOOT -1\n');
    const set = TemplateSet.load(dir);
    const r = new BootRenderer(set, server);
    const lb = profile({ name: 'disk', kind: 'localboot' });
    expect(r.render('pxelinux', subject(lb as typeof dom0))).toBe('DEFAULT local\nLABEL local\n  LOCALBOOT -1\n');
    expect(r.render('grub', subject(lb as typeof dom0))).toContain('exit');
  });

  it('a broken template fails when the set is loaded, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-templates-'));
    mkdirSync(join(dir, 'ipxe'));
    writeFileSync(join(dir, 'ipxe', 'linux.hbs'), '#!ipxe\n{{#if kernel}}kernel {{kernel}}\n');
    expect(() => TemplateSet.load(dir)).toThrow(TemplateError);
    expect(() => TemplateSet.load(dir)).toThrow(/ipxe\/linux\.hbs: Parse error/);
    expect(() => TemplateSet.load(join(dir, 'missing'))).toThrow(/does not exist/);
  });

  it('xenboot serve refuses to start with a broken template, and xenboot check reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-templates-'));
    mkdirSync(join(dir, 'tpl', 'grub'), { recursive: true });
    writeFileSync(join(dir, 'tpl', 'grub', 'linux.hbs'), '{{/if}}');
    const config = writeTempConfig({ store: { kind: 'memory' }, http: { port: 0 }, tftp: { port: 0 }, inventory: { templateDir: 'tpl' } }, dir);
    const env = { ...process.env, NODE_NO_WARNINGS: '1' };
    const [cmd, args] = xenbootCommand('serve', '--config', config);
    const serve = await runCommand(cmd, args, { timeoutMs: 30_000, env });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr + serve.stdout).toMatch(/grub\/linux\.hbs/);
    const [cmd2, args2] = xenbootCommand('check', '--config', config);
    const check = await runCommand(cmd2, args2, { timeoutMs: 30_000, env });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/template .*grub\/linux\.hbs: Parse error/);
  });
});
