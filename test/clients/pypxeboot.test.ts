/**
 * pypxeboot's view of xenboot: its parser reproduced on the documented cases, then its whole boot
 * sequence (lookup order, parse, initrd then kernel) against a real `xenboot serve` child over TFTP on
 * 127.0.0.1. The requests come from 127.0.0.1, not from the domU's leased address, as pypxeboot's come
 * from dom0 (boot-protocols.md §0 #11).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type RunningProcess } from '../../lab/process.js';
import { makeTftpRoot, md5 } from '../tftp/support.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { argsText, parseLikePypxeboot, PythonCrash, PypxebootFailure, runPypxeboot } from './pypxeboot.js';
import { randomBytes } from 'node:crypto';

describe('pypxeboot parser reproduction (boot-protocols.md §1.5)', () => {
  const wrap = (append: string) => `DEFAULT netboot\nLABEL netboot\n  KERNEL k\n  APPEND ${append}\n`;

  it('reads the minimal config, dropping initrd= from the args', () => {
    const parse = parseLikePypxeboot(wrap('initrd=domu/initrd.img root=/dev/xvda1 console=hvc0'));
    expect(parse).toMatchObject({ kernel: 'k', initrd: 'domu/initrd.img' });
    expect(argsText(parse.args!)).toBe('root=/dev/xvda1 console=hvc0');
  });

  it('loses a bare flag and the key before it, as measured', () => {
    const parse = parseLikePypxeboot(wrap('initrd=i root=/dev/xvda1 console=hvc0 ip=dhcp ro'));
    expect(new Set(argsText(parse.args!).split(' '))).toEqual(new Set(['root=/dev/xvda1', 'console=hvc0', 'ip']));
  });

  it('crashes where pypxeboot crashes', () => {
    expect(() => parseLikePypxeboot(wrap('nfsroot=10.0.0.1:/srv,vers=3'))).toThrow(/ValueError/);
    expect(() => parseLikePypxeboot(wrap('xen.gz dom0_mem=512M --- vmlinuz --- initrd.img'))).toThrow(/NameError/);
    expect(() => parseLikePypxeboot('DEFAULT netboot\nLABEL netboot\n  KERNEL k\n')).toThrow(/TypeError/);
    expect(() => parseLikePypxeboot('DEFAULT  netboot\nLABEL netboot\n  KERNEL k\n  APPEND a=b\n')).toThrow(PypxebootFailure);
  });
});

const STATIC_DEFAULT = 'DEFAULT xen\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz dom0_mem=512M --- vmlinuz console=hvc0 --- initrd.img\n';

describe('pypxeboot against xenboot over real TFTP', () => {
  const { dir, root, md5s } = makeTftpRoot([]);
  let proc: RunningProcess;
  let port = 0;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(join(root, 'domu'));
    for (const name of ['domu/vmlinuz-6.1', 'domu/initrd.img-6.1']) {
      const data = randomBytes(200_000 + name.length);
      writeFileSync(join(root, name), data);
      files[name] = md5(data);
    }
    void md5s;
    // A hand-written shared default for real PXELINUX: pypxeboot would crash on it (NameError).
    mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
    writeFileSync(join(root, 'pxelinux.cfg/default'), STATIC_DEFAULT);
    const config = {
      server: { address: '127.0.0.1' },
      log: { format: 'json', level: 'info' },
      http: { enabled: false },
      store: { kind: 'memory' },
      tftp: { port: 0, root },
      inventory: {
        profiles: [
          {
            name: 'domu-debian',
            kind: 'xen-domu',
            kernel: 'domu/vmlinuz-6.1',
            initrd: 'domu/initrd.img-6.1',
            args: ['root=/dev/xvda1', 'console=hvc0', 'hostname={{host.hostname}}'],
            disks: [{ target: '/dev/vg0/{{name}}' }],
          },
          {
            name: 'domu-console',
            kind: 'xen-domu',
            kernel: 'domu/vmlinuz-6.1',
            initrd: 'domu/initrd.img-6.1',
            args: ['root=/dev/xvda1', 'console={{vars.console}}'],
            disks: [{ target: '/dev/vg0/{{name}}' }],
          },
          {
            name: 'xen-diskless',
            kind: 'xen-dom0',
            xen: { image: 'xen.gz', args: ['dom0_mem=512M'] },
            dom0: { kernel: 'vmlinuz', args: ['console=hvc0'], initrds: ['initrd.img'] },
          },
        ],
        hosts: [
          { mac: '00:16:3e:11:22:33', profile: 'domu-debian', hostname: 'vm1', ip: '10.99.0.156' },
          { mac: '52:54:00:12:34:56', profile: 'xen-diskless' },
          // Its console variable renders to `console=`, which pypxeboot would write as a bare key.
          { mac: '00:16:3e:11:22:44', profile: 'domu-console', hostname: 'vm2', vars: { console: '' } },
        ],
        // Unknown machines get the dom0 profile: a domU must still never be handed an mboot.c32 APPEND.
        unknown: { boot: 'profile', profile: 'xen-diskless' },
      },
    };
    proc = await startXenboot(writeTempConfig(config, dir));
    const match = proc.output().match(/"protocol":"tftp","address":"127\.0\.0\.1","port":(\d+)/);
    if (!match) throw new Error(`no tftp endpoint in the log:\n${proc.output()}`);
    port = Number(match[1]);
  });

  afterAll(async () => {
    await proc?.stop();
  });

  for (const [name, sendBlksize] of [
    ['tftpy 0.4.6 (blksize 512)', true],
    ['tftpy 0.6 (no options)', false],
  ] as const) {
    it(`boots a known domU with the MAC typed in upper case, ${name}`, async () => {
      const run = await runPypxeboot('00:16:3E:11:22:33', '10.99.0.156', { host: '127.0.0.1', port, sendBlksize });
      expect(run.requests).toEqual([
        { name: 'pxelinux.cfg/01-00-16-3E-11-22-33', found: true },
        { name: 'domu/initrd.img-6.1', found: true },
        { name: 'domu/vmlinuz-6.1', found: true },
      ]);
      expect(md5(run.kernel)).toBe(files['domu/vmlinuz-6.1']);
      expect(md5(run.ramdisk!)).toBe(files['domu/initrd.img-6.1']);
      expect(run.sxp).toMatch(/^linux \(kernel \/var\/lib\/xen\/vmlinuz-6\.1\)\(ramdisk \/var\/lib\/xen\/initrd\.img-6\.1\)\(args '.*'\)$/);
      expect(new Set(argsText(run.parse.args!).split(' '))).toEqual(new Set(['root=/dev/xvda1', 'console=hvc0', 'hostname=vm1']));
    });
  }

  it('an unknown domU gets "not found" for every name (never a dom0 file it would crash on)', async () => {
    const attempt = runPypxeboot('00:16:3e:99:99:99', '10.99.0.200', { host: '127.0.0.1', port, timeoutMs: 2000 });
    await expect(attempt).rejects.toBeInstanceOf(PypxebootFailure);
    await expect(attempt).rejects.not.toBeInstanceOf(PythonCrash);
  });

  it('a domU whose host variables render an unsafe argument is refused every file, the static default included', async () => {
    const attempt = runPypxeboot('00:16:3e:11:22:44', '10.99.0.157', { host: '127.0.0.1', port, timeoutMs: 2000 });
    await expect(attempt).rejects.toBeInstanceOf(PypxebootFailure);
    await expect(attempt).rejects.not.toBeInstanceOf(PythonCrash);
  });

  it('real TFTP clients print the reason of a lint refusal (tftp-hpa, atftp)', async () => {
    const name = 'pxelinux.cfg/01-00-16-3e-11-22-44';
    const hpa = await runCommand('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', name, join(dir, 'hpa-out')], { timeoutMs: 20_000 });
    expect(hpa.stdout + hpa.stderr).toMatch(/Error code 2: refused: .*"console=" has an empty value/);
    const atftp = await runCommand('atftp', ['-g', '-r', name, '-l', join(dir, 'atftp-out'), '127.0.0.1', String(port)], { timeoutMs: 20_000 });
    expect(atftp.stdout + atftp.stderr).toMatch(/refused: .*"console=" has an empty value/);
    // The static default is refused to the domU that just asked (pypxeboot's fallback), with the reason.
    const fallback = await runCommand('tftp', ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', 'pxelinux.cfg/default', join(dir, 'hpa-default')], { timeoutMs: 20_000 });
    expect(fallback.stdout + fallback.stderr).toMatch(/Error code 2: refused: pxelinux\.cfg\/default \(a file in the TFTP root\) is not safe for pypxeboot.*COM32/);
  });

  it('the dom0 host itself gets its mboot.c32 file over the same server', async () => {
    const { tftpyGet } = await import('../../lab/clients/tftpy-client.js');
    const text = (await tftpyGet('pxelinux.cfg/01-52-54-00-12-34-56', { host: '127.0.0.1', port })).toString();
    expect(text).toContain('KERNEL mboot.c32');
    expect(text).toContain('APPEND xen.gz dom0_mem=512M --- vmlinuz console=hvc0 BOOTIF=01-52-54-00-12-34-56 --- initrd.img');
  });
});
