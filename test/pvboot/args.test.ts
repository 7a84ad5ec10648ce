import { describe, expect, it } from 'vitest';
import { macFromArgument, parsePvbootArgs, PvbootUsageError } from '../../src/pvboot/args.js';
import { formatBootloaderResult } from '../../src/pvboot/output.js';

describe('xenboot-pvboot arguments (libxl_bootloader.c / XendBootloader.py argv)', () => {
  it('parses libxl argv with bootloader_args and the disk last', () => {
    expect(
      parsePvbootArgs([
        '--runas=131072',
        '--quiet',
        '--output=/var/run/xen/bootloader.7.out',
        '--output-format=simple0',
        '--output-directory=/var/run/xen/bootloader.7.d',
        'mac=00:16:3E:11:22:33',
        '--server=http://10.0.0.1:8080/',
        '/dev/vg0/vm1',
      ]),
    ).toEqual({
      mac: '00:16:3e:11:22:33',
      server: 'http://10.0.0.1:8080',
      output: '/var/run/xen/bootloader.7.out',
      outputFormat: 'simple0',
      outputDirectory: '/var/run/xen/bootloader.7.d',
      runas: 131072,
      quiet: true,
      disk: '/dev/vg0/vm1',
      timeoutMs: 60_000,
    });
  });

  it('parses xend argv (SXP by default, -q, vif string as bootargs) and takes the server from XENBOOT_URL', () => {
    const args = parsePvbootArgs(['-q', '--output=/tmp/fifo', 'mac=00:16:3e:11:22:33,bridge=xenbr0', '/dev/vg0/vm1'], { XENBOOT_URL: 'http://srv:8080' });
    expect(args).toMatchObject({ mac: '00:16:3e:11:22:33', server: 'http://srv:8080', outputFormat: 'sxp', quiet: true });
  });

  it('parses libxl\'s argv for a type = "pvh" domU (4.17 runs the bootloader for PV and PVH alike) with cmdline as --args', () => {
    // libxl_bootloader.c (RELEASE-4.17.7) skips only LIBXL_DOMAIN_TYPE_HVM, and make_bootloader_args()
    // builds the same argv whatever the type: a PVH config with cmdline = "…" and LIBXL_BOOTLOADER_USER.
    expect(
      parsePvbootArgs([
        '--args=quiet loglevel=3',
        '--runas=2001',
        '--quiet',
        '--output=/var/lib/xen/bootloader.12.out',
        '--output-format=simple0',
        '--output-directory=/var/lib/xen/bootloader.12.d',
        'mac=00:16:3e:11:22:33',
        '--server=http://10.0.0.1:8080',
        '/dev/vg0/pvh1',
      ]),
    ).toMatchObject({ mac: '00:16:3e:11:22:33', extraArgs: 'quiet loglevel=3', runas: 2001, quiet: true, outputFormat: 'simple0', disk: '/dev/vg0/pvh1' });
  });

  const bad: Array<[string[], RegExp]> = [
    [['--server=http://x', '/d'], /no mac=/],
    [['mac=00:16:3e:11:22', '--server=http://x', '/d'], /Invalid MAC/],
    [['mac=00:16:3e:11:22:33', '/d'], /no --server/],
    [['mac=00:16:3e:11:22:33', '--server=ftp://x', '/d'], /no --server/],
    [['mac=00:16:3e:11:22:33', '--server=http://x', '--kernel=/boot/vmlinuz', '/d'], /--kernel is not supported/],
    [['mac=00:16:3e:11:22:33', '--server=http://x', '--output-format=xml', '/d'], /unknown --output-format/],
    [['mac=00:16:3e:11:22:33', '--server=http://x', '--runas=xen', '/d'], /numeric uid/],
    [['mac=00:16:3e:11:22:33', '--server=http://x', '--bogus', '/d'], /unknown option --bogus/],
    [['mac=00:16:3e:11:22:33', '--server=http://x', 'a', 'b'], /unexpected arguments: a/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(() => parsePvbootArgs(argv)).toThrow(PvbootUsageError);
      expect(() => parsePvbootArgs(argv)).toThrow(message);
    });
  }

  it('finds the MAC the way pypxeboot users write it', () => {
    expect(macFromArgument('mac=00:16:3e:11:22:33,')).toBe('00:16:3e:11:22:33');
    expect(macFromArgument('vifname=x , mac=00:16:3E:11:22:33 , bridge=xenbr0')).toBe('00:16:3e:11:22:33');
    expect(macFromArgument('mac=zz')).toBeNull();
  });
});

describe('bootloader answer formats', () => {
  const result = { kernel: '/d/boot_kernel.x', ramdisk: '/d/boot_ramdisk.x', args: 'root=/dev/xvda1 console=hvc0' };
  it('simple0: NUL-terminated items as libxl parse_bootloader_result reads them', () => {
    expect(formatBootloaderResult(result, 'simple0')).toBe('kernel /d/boot_kernel.x\0ramdisk /d/boot_ramdisk.x\0args root=/dev/xvda1 console=hvc0\0');
    expect(formatBootloaderResult({ kernel: '/k', args: '' }, 'simple')).toBe('kernel /k\nargs \n');
  });
  it('sxp as pypxeboot prints it', () => {
    expect(formatBootloaderResult(result, 'sxp')).toBe("linux (kernel /d/boot_kernel.x)(ramdisk /d/boot_ramdisk.x)(args 'root=/dev/xvda1 console=hvc0')");
  });
});
