import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocateXenMac, macsInXlConfig } from '../../src/boot/domu-config.js';
import { checkSyslinuxRoot, moduleProblems } from '../../src/tftproot/syslinux-check.js';
import { defaultConfig } from '../../src/config/load.js';
import { ApiError } from '../../src/http/errors.js';
import { prepareDocument } from '../../src/http/inventory-writes.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/open.js';
import { runCommand, requireCommands } from '../../lab/process.js';
import { writeTempConfig, xenbootCommand } from '../../lab/xenboot.js';

async function xenboot(...args: string[]) {
  const [cmd, argv] = xenbootCommand(...args);
  return runCommand(cmd, argv, { timeoutMs: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
}

const domuProfile = {
  name: 'domu',
  kind: 'xen-domu',
  kernel: 'domu/vmlinuz',
  initrd: 'domu/initrd.img',
  args: ['root=/dev/xvda1'],
  memory: 1024,
  vcpus: 2,
  disks: [{ target: '/dev/vg0/{{name}}' }, { type: 'tap:aio', target: '/srv/xen/{{name}}-swap.img', vdev: 'xvdb' }],
};

// Each case runs the CLI several times (a TypeScript start each); give them room on a loaded machine.
describe('xenboot domu-config', { timeout: 300_000 }, () => {
  it('writes xl configs in bulk, records new MACs as store hosts and reuses them on the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-domu-'));
    const out = join(dir, 'xen');
    mkdirSync(out);
    // A hand-written config already in the directory: its MAC must never be handed out again.
    writeFileSync(join(out, 'legacy'), 'name="legacy"\nvif=[ "mac=00:16:3e:00:00:01,bridge=xenbr0" ]\n');
    const config = writeTempConfig(
      { store: { kind: 'sqlite', path: join(dir, 'x.db') }, http: { publicUrl: 'http://10.0.0.1:8080' }, inventory: { profiles: [domuProfile], domu: { outDir: out } } },
      dir,
    );
    const first = await xenboot('domu-config', '--config', config, '--profile', 'domu', 'web1', 'web2');
    expect(first.code, first.stderr).toBe(0);
    const web1 = readFileSync(join(out, 'web1'), 'utf8');
    const mac1 = /mac=(00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}),/.exec(web1)![1]!;
    expect(web1).toBe(
      [
        '# xenboot: domU web1 (profile domu), written by xenboot domu-config',
        'name = "web1"',
        'type = "pv"',
        'memory = 1024',
        'vcpus = 2',
        `vif = [ "mac=${mac1},bridge=xenbr0" ]`,
        'disk = [ "phy:/dev/vg0/web1,xvda,w", "tap:aio:/srv/xen/web1-swap.img,xvdb,w" ]',
        'bootloader = "xenboot-pvboot"',
        `bootloader_args = [ "mac=${mac1}", "--server=http://10.0.0.1:8080" ]`,
        '',
      ].join('\n'),
    );
    expect(first.stdout).toContain(`web1 ${mac1} profile domu (new host)`);

    const again = await xenboot('domu-config', '--config', config, 'web1');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists (use --force to overwrite)');

    const second = await xenboot('domu-config', '--config', config, '--profile', 'domu', '--force', 'web1', 'web3');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`web1 ${mac1} profile domu\n`);
    const macs = ['legacy', 'web1', 'web2', 'web3'].flatMap((n) => macsInXlConfig(readFileSync(join(out, n), 'utf8')));
    expect(new Set(macs).size).toBe(4);

    // The hosts are in the store: explain finds web3 by its MAC.
    const explained = await xenboot('explain', '--config', config, '--mac', macsInXlConfig(readFileSync(join(out, 'web3'), 'utf8'))[0]!);
    expect(explained.stdout).toContain('profile   domu (xen-domu) from host');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a memory store, unknown names without --profile and non-domU profiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-domu-'));
    const memory = writeTempConfig({ store: { kind: 'memory' }, inventory: { profiles: [domuProfile] } }, dir);
    expect((await xenboot('domu-config', '--config', memory, '--profile', 'domu', 'a')).stderr).toContain('allocated MACs must be recorded');
    const sqlite = writeTempConfig({ store: { kind: 'sqlite', path: join(dir, 'x.db') }, inventory: { profiles: [domuProfile, { name: 'lb', kind: 'localboot' }], domu: { outDir: dir } } }, dir);
    expect((await xenboot('domu-config', '--config', sqlite, 'a')).stderr).toContain('give --profile');
    expect((await xenboot('domu-config', '--config', sqlite, '--profile', 'lb', 'a')).stderr).toContain('is localboot, not xen-domu');
    expect((await xenboot('domu-config', '--config', sqlite, '--profile', 'domu', '../etc')).code).toBe(2);
  });

  it('refuses a NAME the API refuses as a hostname, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-domu-'));
    const out = join(dir, 'xen');
    mkdirSync(out);
    const db = join(dir, 'x.db');
    const config = writeTempConfig({ store: { kind: 'sqlite', path: db }, inventory: { profiles: [domuProfile], domu: { outDir: out } } }, dir);
    // `web_1` is a usable domU name, but no hostname (RFC 952: no underscore): the API answers 400.
    expect(() => prepareDocument('hosts', { mac: '00:16:3e:00:00:02', hostname: 'web_1', profile: 'domu' })).toThrow(ApiError);
    const refused = await xenboot('domu-config', '--config', config, '--profile', 'domu', 'web2', 'web_1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('web_1 cannot be recorded as a host: hostname:');
    expect(readdirSync(out)).toEqual([]);
    const store = await openStore({ ...defaultConfig().store, kind: 'sqlite', path: db }, silentLogger());
    try {
      expect(await store.inventory.list('hosts')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('creates an output directory that does not exist yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-domu-'));
    const out = join(dir, 'etc', 'xen');
    const config = writeTempConfig({ store: { kind: 'sqlite', path: join(dir, 'x.db') }, inventory: { profiles: [domuProfile] } }, dir);
    const result = await xenboot('domu-config', '--config', config, '--profile', 'domu', '--out', out, 'web1');
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(out, 'web1'), 'utf8')).toContain('name = "web1"');
    // A path that cannot be a directory: one line, nothing recorded.
    writeFileSync(join(dir, 'file'), '');
    const blocked = await xenboot('domu-config', '--config', config, '--profile', 'domu', '--out', join(dir, 'file', 'xen'), 'web2');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^xenboot domu-config: cannot create the output directory .*file\/xen: (ENOTDIR|EEXIST)\n$/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('allocates in 00:16:3e without collisions', () => {
    const used = new Set(['00:16:3e:12:34:56']);
    const draws = [Buffer.from([0x12, 0x34, 0x56]), Buffer.from([0x92, 0x34, 0x57])];
    expect(allocateXenMac(used, () => draws.shift()!)).toBe('00:16:3e:12:34:57');
    expect(used.size).toBe(2);
    expect(() => allocateXenMac(used, () => Buffer.from([0x12, 0x34, 0x56]), 5)).toThrow(/no free MAC/);
  });
});

describe('xenboot tftproot and the syslinux build check', { timeout: 300_000 }, () => {
  it('installs from the Debian packages and `xenboot check` accepts the result', async () => {
    await requireCommands('dpkg-query');
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-tftproot-'));
    const config = writeTempConfig({ tftp: { root: 'root' }, store: { kind: 'memory' } }, dir);
    const install = await xenboot('tftproot', 'install', '--config', config);
    expect(install.code, `${install.stderr}\n(needs apt-get install pxelinux syslinux-common ipxe)`).toBe(0);
    expect(install.stdout).toMatch(/7 syslinux files from one build \(PXELINUX 6\.\d+ PXE \d{8}\)/);
    for (const name of ['pxelinux.0', 'ldlinux.c32', 'mboot.c32', 'libcom32.c32', 'libutil.c32', 'undionly.kpxe', 'ipxe.efi']) {
      expect(readFileSync(join(dir, 'root', name)).length, name).toBeGreaterThan(0);
    }
    const check = await xenboot('check', '--config', config);
    expect(check.code, check.stderr).toBe(0);

    // An EFI mboot.c32 in a BIOS root, as happens when files are copied by hand.
    copyFileSync('/usr/lib/syslinux/modules/efi64/mboot.c32', join(dir, 'root', 'mboot.c32'));
    const mixed = await xenboot('check', '--config', config);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain('mboot.c32: not a syslinux 5+ COM32 module');
    expect(mixed.stderr).toContain('mboot.c32: changed since `xenboot tftproot install` copied it from pxelinux');
  });

  it('says which packages are missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-tftproot-'));
    const config = writeTempConfig({ tftp: { root: 'root' }, store: { kind: 'memory' } }, dir);
    const result = await xenboot('tftproot', 'install', '--config', config, '--source-root', join(dir, 'empty'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pxelinux, syslinux-common, ipxe are not installed');
    expect(result.stderr).toContain('apt-get install pxelinux syslinux-common ipxe');
  });

  it('finds a module from another build without a manifest: other compiler, missing library, changed bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-syslinux-'));
    const bios = '/usr/lib/syslinux/modules/bios';
    copyFileSync('/usr/lib/PXELINUX/pxelinux.0', join(dir, 'pxelinux.0'));
    for (const name of ['ldlinux.c32', 'mboot.c32', 'libcom32.c32', 'libutil.c32']) copyFileSync(join(bios, name), join(dir, name));
    expect(checkSyslinuxRoot(dir).problems).toEqual([]);

    // The same module built by another compiler release: its .comment differs.
    const other = readFileSync(join(bios, 'libutil.c32'));
    const at = other.indexOf('GCC: (');
    other.write('GCC: (Debian 12.2.0-14) 12.2.0', at, 'latin1');
    writeFileSync(join(dir, 'libutil.c32'), other);
    const problems = checkSyslinuxRoot(dir).problems.map((p) => `${p.file}: ${p.message}`);
    expect(problems.some((p) => p.startsWith('*.c32: built by different compilers') && p.includes('libutil.c32: "GCC: (Debian 12.2.0-14) 12.2.0'))).toBe(true);
    expect(problems).toContain(`libutil.c32: differs from ${bios}/libutil.c32 (the installed syslinux build): reinstall with \`xenboot tftproot install\``);

    const modules = new Map([['ldlinux.c32', readFileSync(join(bios, 'ldlinux.c32'))], ['mboot.c32', readFileSync(join(bios, 'mboot.c32'))]]);
    expect(moduleProblems(modules)).toEqual([{ file: 'mboot.c32', message: 'needs libcom32.c32, which is not in the TFTP root' }]);
    expect(moduleProblems(new Map([['ldlinux.c32', Buffer.from('not elf')]]))[0]!.message).toMatch(/not a syslinux 5\+ COM32 module/);
  });
});
