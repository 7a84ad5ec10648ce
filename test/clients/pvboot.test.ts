/**
 * `xenboot-pvboot` called exactly as libxl calls a bootloader (tools/libs/light/libxl_bootloader.c:
 * argv with --output, --output-format=simple0, --output-directory, the bootloader_args, the disk last;
 * the output file created beforehand) and as xend did (SXP), against a real `xenboot serve` child on
 * 127.0.0.1. Also exercises the HTTP boot endpoints it relies on.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { md5 } from '../tftp/support.js';

const pvboot = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCommand(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'pvboot', 'cli.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
    timeoutMs: 30_000,
  });

describe('xenboot-pvboot as libxl calls it, against xenboot serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-pvboot-'));
  const root = join(dir, 'tftproot');
  const sums: Record<string, string> = {};
  let proc: RunningProcess;
  let base = '';

  beforeAll(async () => {
    mkdirSync(join(root, 'domu'), { recursive: true });
    for (const [name, size] of [
      ['domu/vmlinuz-6.1', 3_000_000],
      ['domu/initrd.img-6.1', 1_000_000],
    ] as const) {
      const data = randomBytes(size);
      writeFileSync(join(root, name), data);
      sums[name] = md5(data);
    }
    const config = {
      server: { address: '127.0.0.1' },
      log: { format: 'json', level: 'info' },
      store: { kind: 'memory' },
      http: { port: 0, readAccess: 'open' },
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
          { name: 'no-kernel', kind: 'xen-domu', kernel: 'domu/missing', args: [], bootloaders: ['pvboot'], disks: [{ target: '/dev/vg0/x' }] },
          { name: 'disk', kind: 'localboot' },
        ],
        hosts: [
          { mac: '00:16:3e:11:22:33', profile: 'domu-debian', hostname: 'vm1' },
          { mac: '00:16:3e:11:22:44', profile: 'no-kernel' },
          { mac: '00:16:3e:11:22:55', profile: 'disk' },
        ],
      },
    };
    proc = await startXenboot(writeTempConfig(config, dir));
    const match = proc.output().match(/"protocol":"http","address":"127\.0\.0\.1","port":(\d+)/);
    if (!match) throw new Error(`no http endpoint in the log:\n${proc.output()}`);
    base = `http://127.0.0.1:${match[1]}`;
  });

  afterAll(async () => {
    await proc?.stop();
  });

  function libxlCall(mac: string, extra: string[] = []) {
    const work = mkdtempSync(join(dir, 'libxl-'));
    const output = join(work, 'bootloader.out');
    const outdir = join(work, 'bootloader.d');
    mkdirSync(outdir);
    // libxl creates the output file before it starts the bootloader.
    writeFileSync(output, '');
    const argv = [...extra, `--output=${output}`, '--output-format=simple0', `--output-directory=${outdir}`, `mac=${mac}`, `--server=${base}`, '/dev/vg0/vm1'];
    return { output, outdir, argv };
  }

  it('writes kernel, ramdisk and args as NUL-terminated items and the files into the output directory', async () => {
    const call = libxlCall('00:16:3E:11:22:33');
    const result = await pvboot(call.argv);
    expect(result.stderr).toContain('boots profile "domu-debian"');
    expect(result.code).toBe(0);
    const items = readFileSync(call.output, 'latin1').split('\0');
    expect(items.at(-1)).toBe('');
    const [kernel, ramdisk, args] = items;
    expect(kernel).toMatch(new RegExp(`^kernel ${call.outdir}/boot_kernel\\.[0-9a-f]{12}$`));
    expect(ramdisk).toMatch(new RegExp(`^ramdisk ${call.outdir}/boot_ramdisk\\.[0-9a-f]{12}$`));
    expect(args).toBe('args root=/dev/xvda1 console=hvc0 hostname=vm1');
    expect(md5(readFileSync(kernel!.slice('kernel '.length)))).toBe(sums['domu/vmlinuz-6.1']);
    expect(md5(readFileSync(ramdisk!.slice('ramdisk '.length)))).toBe(sums['domu/initrd.img-6.1']);
  });

  it('with bootloader_restrict (--runas, --quiet) stays quiet on stderr', async () => {
    const call = libxlCall('00:16:3e:11:22:33', [`--runas=${process.getuid?.() ?? 0}`, '--quiet']);
    const result = await pvboot(call.argv);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(readFileSync(call.output, 'latin1')).toMatch(/^kernel .*\0ramdisk .*\0args .*\0$/);
  });

  it('answers xend in SXP with the vif string as bootargs', async () => {
    const work = mkdtempSync(join(dir, 'xend-'));
    const output = join(work, 'fifo-stand-in');
    writeFileSync(output, '');
    const result = await pvboot(['-q', `--output=${output}`, `--output-directory=${work}`, 'mac=00:16:3e:11:22:33,bridge=xenbr0', '/dev/vg0/vm1'], { XENBOOT_URL: base });
    expect(result.code).toBe(0);
    expect(readFileSync(output, 'utf8')).toMatch(/^linux \(kernel \/.*boot_kernel\.[0-9a-f]+\)\(ramdisk \/.*boot_ramdisk\.[0-9a-f]+\)\(args 'root=\/dev\/xvda1 console=hvc0 hostname=vm1'\)$/);
  });

  it('fails with exit 1 and a clear message for unknown machines, non-domU profiles and missing files, leaving no files behind', async () => {
    for (const [mac, message] of [
      ['00:16:3e:99:99:99', /404 00:16:3e:99:99:99 is not in the inventory/],
      ['00:16:3e:11:22:55', /422 profile "disk" is localboot/],
      ['00:16:3e:11:22:44', /422 domu\/missing is not in the TFTP root/],
    ] as const) {
      const call = libxlCall(mac);
      const result = await pvboot(call.argv);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(readdirSync(call.outdir)).toEqual([]);
      expect(readFileSync(call.output, 'utf8')).toBe('');
    }
  });

  it('fails with exit 1 when the server is unreachable, and exit 2 on bad arguments', async () => {
    const call = libxlCall('00:16:3e:11:22:33');
    const unreachable = await pvboot(call.argv.map((a) => (a.startsWith('--server=') ? '--server=http://127.0.0.1:9' : a)));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/api\/v1\/boot-spec/);
    const usage = await pvboot(['--kernel=/boot/vmlinuz', ...call.argv]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--kernel is not supported/);
  });

  it('serves boot.ipxe, the boot spec and explain over HTTP', async () => {
    const spec = (await (await fetch(`${base}/api/v1/boot-spec/00-16-3E-11-22-33`)).json()) as { kernel: { url: string }; args: string };
    expect(spec.kernel.url).toBe(`${base}/domu/vmlinuz-6.1`);
    expect((await fetch(`${base}/api/v1/boot-spec/nonsense`)).status).toBe(400);
    const dispatcher = await fetch(`${base}/boot.ipxe`);
    expect(await dispatcher.text()).toContain('chain /ipxe/${platform}/01-${mac:hexhyp}.ipxe');
    const localboot = await fetch(`${base}/boot.ipxe?mac=00:16:3e:11:22:55&arch=x86_64`);
    expect(await localboot.text()).toBe('#!ipxe\n# xenboot: disk for 00:16:3e:11:22:55 (localboot)\nexit\n');
    expect((await fetch(`${base}/boot.ipxe?mac=00:16:3e:11:22:33`)).status).toBe(403);
    expect((await fetch(`${base}/boot.ipxe?mac=52:54:00:00:00:01`)).status).toBe(404);
    const explained = (await (await fetch(`${base}/api/v1/explain?mac=00:16:3e:11:22:33`)).json()) as { client: string; files: Array<{ result: string }> };
    expect(explained.client).toBe('pypxeboot');
    expect(explained.files[0]!.result).toBe('text');
    expect((await fetch(`${base}/api/v1/explain`)).status).toBe(400);
    const pxelinux = await fetch(`${base}/pxelinux.cfg/01-00-16-3e-11-22-33`);
    expect(await pxelinux.text()).toContain('APPEND initrd=domu/initrd.img-6.1 root=/dev/xvda1 console=hvc0 hostname=vm1');
  });
});
