/**
 * A host chooses its loader, against real clients in network namespaces: busybox udhcpc (as a BIOS and
 * as an EFI x86-64 PXE client) gets the boot file its profile or host names, other machines keep
 * `dhcp.boot`; tftp-hpa, from the address a vendor-GRUB host leased, fetches that GRUB's fixed config path
 * and gets its own render, while a machine whose choice does not name that path gets "file not found".
 * Needs root and the Debian packages in .ci/debian-packages.txt.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { envScript, lastEnv, startLab, type DhcpLab } from './lab.js';

const SERVER = '10.203.30.1';
const HTTP_RACK_HOST = '52:54:00:30:00:01';
const OWN_IPXE_HOST = '52:54:00:30:00:02';
const PLAIN_HOST = '52:54:00:30:00:03';
const VENDOR_HOST = '52:54:00:30:00:04';

const dom0 = {
  kind: 'xen-dom0',
  xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: ['dom0_mem=1024M'] },
  dom0: { kernel: 'debian/vmlinuz', args: ['console=hvc0'], initrds: ['debian/initrd.img'] },
};

describe('a host chooses its loader (real clients)', () => {
  let lab: DhcpLab;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'tftp');
    const root = mkdtempSync(join(tmpdir(), 'xenboot-loader-choice-root-'));
    lab = await startLab(`${SERVER}/24`, {
      server: { address: SERVER },
      tftp: { enabled: true, root, port: 69 },
      dhcp: {
        mode: 'full',
        subnet: '10.203.30.0/24',
        ranges: [{ start: '10.203.30.100', end: '10.203.30.120' }],
        router: SERVER,
      },
      inventory: {
        profiles: [
          { name: 'plain', ...dom0 },
          { name: 'rack-http', ...dom0, loader: { bios: { family: 'pxelinux', file: 'lpxelinux.0' } } },
          { name: 'vendor-grub', ...dom0, loader: { efiX64: { family: 'grub', file: 'EFI/xenserver/grubx64.efi', config: 'EFI/xenserver/grub.cfg' } } },
        ],
        hosts: [
          { mac: HTTP_RACK_HOST, profile: 'rack-http' },
          { mac: OWN_IPXE_HOST, profile: 'rack-http', loader: { bios: { family: 'ipxe', file: 'ipxe/undionly.kpxe' } } },
          { mac: PLAIN_HOST, profile: 'plain' },
          { mac: VENDOR_HOST, profile: 'vendor-grub', hostname: 'xs1' },
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  });

  const udhcpc = async (name: string, mac: string, arch: '0' | '7') => {
    await lab.useMac(mac);
    const { script, file } = envScript(lab.dir, name, true);
    const vendorClass = `PXEClient:Arch:0000${arch}:UNDI:002001`;
    const result = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', lab.clientIf, '-s', script, '-t', '3', '-T', '2', '-A', '1', '-V', vendorClass, '-x', `0x5d:000${arch}`, '-O', '67'], { timeoutMs: 30_000 });
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    expect(result.stderr + result.stdout).toMatch(/lease of 10\.203\.30\.\d+ obtained/);
    return lastEnv(text, /EVENT=bound/);
  };

  /** tftp-hpa from the client namespace (its source address is the lease udhcpc put on the interface). */
  const tftpGet = async (name: string) => {
    const out = join(lab.dir, `got-${name.replaceAll('/', '_')}-${Date.now()}`);
    const result = await lab.client.exec('tftp', ['-m', 'binary', SERVER, '-c', 'get', name, out], { timeoutMs: 20_000 });
    return { output: result.stdout + result.stderr, text: existsSync(out) ? readFileSync(out, 'utf8') : null };
  };

  it("a BIOS client whose profile chose lpxelinux.0 gets it in file and option 67; a host's own choice wins over its profile's", async () => {
    expect(await udhcpc('rack', HTTP_RACK_HOST, '0')).toMatchObject({ siaddr: SERVER, boot_file: 'lpxelinux.0', bootfile: 'lpxelinux.0' });
    expect(await udhcpc('own', OWN_IPXE_HOST, '0')).toMatchObject({ boot_file: 'ipxe/undionly.kpxe', bootfile: 'ipxe/undionly.kpxe' });
  });

  it('a machine without a choice keeps dhcp.boot (pxelinux.0 for BIOS, grubnetx64.efi for EFI x86-64)', async () => {
    expect(await udhcpc('plain-bios', PLAIN_HOST, '0')).toMatchObject({ boot_file: 'pxelinux.0', bootfile: 'pxelinux.0' });
    expect(await udhcpc('plain-efi', PLAIN_HOST, '7')).toMatchObject({ boot_file: 'grubnetx64.efi', bootfile: 'grubnetx64.efi' });
  });

  it("an EFI vendor-GRUB host gets its GRUB image, and tftp-hpa from its leased address fetches the fixed config path as that host's own render", async () => {
    const env = await udhcpc('vendor', VENDOR_HOST, '7');
    expect(env).toMatchObject({ boot_file: 'EFI/xenserver/grubx64.efi', bootfile: 'EFI/xenserver/grubx64.efi' });
    const { text, output } = await tftpGet('EFI/xenserver/grub.cfg');
    expect(text, output).not.toBeNull();
    expect(text).toContain('multiboot2 /xen/xen.gz dom0_mem=1024M');
    expect(text).toContain('module2 /debian/vmlinuz console=hvc0');
    expect(text).toContain('BOOTIF=01-52-54-00-30-00-04');
  });

  it('the same path asked from the lease of a machine whose choice does not name it is "file not found"', async () => {
    await udhcpc('plain-again', PLAIN_HOST, '7');
    const { text, output } = await tftpGet('EFI/xenserver/grub.cfg');
    // tftp-hpa leaves an empty local file behind when the server answers with an error.
    expect(text ?? '').toBe('');
    expect(output).toMatch(/Error code 1: file not found/);
  });
});
