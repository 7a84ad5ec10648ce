/**
 * `xenboot check` and `xenboot explain` on what pypxeboot would be served: every known domU rendered with
 * its host variables, the unknown-machine default, a static `pxelinux.cfg/default`, and files larger than
 * tftpy 0.5.x can fetch (65535 blocks of 512 bytes). The commands run in-process on a config file.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/commands/check.js';
import { explainCommand } from '../../src/commands/explain.js';
import { TFTPY_MAX_BYTES } from '../../src/boot/pypxeboot-audit.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/open.js';

const dir = mkdtempSync(join(tmpdir(), 'xenboot-audit-'));
const root = join(dir, 'tftp');
mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
mkdirSync(join(root, 'domu'));
writeFileSync(join(root, 'pxelinux.cfg/default'), 'DEFAULT xen\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz --- vmlinuz --- initrd.img\n');
writeFileSync(join(root, 'domu/vmlinuz'), 'k');
writeFileSync(join(root, 'domu/initrd.img'), '');
truncateSync(join(root, 'domu/initrd.img'), TFTPY_MAX_BYTES + 1); // sparse: no disk used

const disks = [{ target: '/dev/vg0/{{name}}' }];
const domu = (name: string, extra: object) => ({ name, kind: 'xen-domu', kernel: 'domu/vmlinuz', disks, ...extra });

function writeConfig(hosts: object[], unknown: object = { boot: 'nothing' }, store: object = { kind: 'memory' }): string {
  const path = join(dir, `config-${hosts.length}-${JSON.stringify(unknown).length}-${JSON.stringify(store).length}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      server: { address: '127.0.0.1', user: 'root' },
      store,
      tftp: { root },
      inventory: {
        profiles: [
          domu('console-var', { args: ['root=/dev/xvda1', 'console={{vars.console}}'] }),
          domu('nfs-pvboot', { args: ['nfsroot=10.0.0.1:/srv,vers=3'], bootloaders: ['pvboot'] }),
          domu('big-initrd', { initrd: 'domu/initrd.img', args: ['console=hvc0'] }),
          { name: 'plain', kind: 'linux', kernel: 'domu/vmlinuz', args: ['ro'] },
        ],
        hosts,
        unknown,
      },
    }),
  );
  return path;
}

async function run(command: typeof checkCommand, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await command.run(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pypxeboot audit in check and explain', () => {
  it('check renders every known domU with its variables and fails on a refused one', async () => {
    const config = writeConfig([
      { mac: '00:16:3e:00:00:01', profile: 'console-var', vars: { console: '' } },
      { mac: '00:16:3e:00:00:02', profile: 'console-var', vars: { console: 'hvc0' } },
      { mac: '00:16:3e:00:00:03', profile: 'nfs-pvboot' },
      // A known 00:16:3e host with a non-domU profile is a domU all the same.
      { mac: '00:16:3e:00:00:04', profile: 'plain' },
    ]);
    const result = await run(checkCommand, ['--config', config]);
    expect(result.code, result.err).toBe(1);
    const errors = result.err.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/domU 00:16:3e:00:00:01: .*"console=" has an empty value/);
    expect(errors[1]).toMatch(/domU 00:16:3e:00:00:04: .*bare flag "ro"/);
    // The static default is only served because nothing generates one: warned about, not an error.
    expect(result.err).toMatch(/warning: the static pxelinux\.cfg\/default .* COM32 module/);
  });

  it('check renders the hosts written to the store through the API too', async () => {
    const storeConfig = { kind: 'sqlite', path: join(dir, 'inventory.db') };
    const store = await openStore(storeConfig as Parameters<typeof openStore>[0], silentLogger());
    await store.inventory.apply([{ op: 'put', kind: 'hosts', doc: { mac: '00:16:3e:00:00:09', profile: 'console-var', vars: { console: '' } } }]);
    await store.close();
    const result = await run(checkCommand, ['--config', writeConfig([], { boot: 'nothing' }, storeConfig)]);
    expect(result.code, result.err).toBe(1);
    expect(result.err).toMatch(/error: domU 00:16:3e:00:00:09: .*"console=" has an empty value/);
  });

  it('check passes a pvboot-only profile with nfsroot=…,vers=3 and warns of a file too large for tftpy', async () => {
    const config = writeConfig([
      { mac: '00:16:3e:00:00:03', profile: 'nfs-pvboot' },
      { mac: '00:16:3e:00:00:05', profile: 'big-initrd' },
    ], { boot: 'profile', profile: 'console-var' });
    const result = await run(checkCommand, ['--config', config]);
    expect(result.err).not.toMatch(/^error/m);
    expect(result.err).toMatch(new RegExp(`warning: profile "big-initrd": initrd domu/initrd.img is ${TFTPY_MAX_BYTES + 1} bytes`));
    // The unknown-machine profile renders `console=` with its own (absent) variable: no shared default.
    expect(result.err).toMatch(/warning: pxelinux\.cfg\/default is not generated/);
    const explained = await run(explainCommand, ['--config', config, '--no-store', '--mac', '00:16:3e:00:00:05']);
    expect(explained.code, explained.err).toBe(0);
    expect(explained.out).toMatch(/warning {3}profile "big-initrd": initrd domu\/initrd\.img is \d+ bytes; pypxeboot's tftpy 0\.5\.x fetches at most 33553920/);
    const small = await run(explainCommand, ['--config', config, '--no-store', '--mac', '00:16:3e:00:00:03']);
    expect(small.out).not.toMatch(/warning/);
  });
});
