/**
 * The guard in front of the content chain: a PXELINUX file failing the pypxeboot lint never reaches a domU
 * over TFTP, whichever handler answered; `default` is judged as a domU's when the same source asked a
 * domU's `01-<mac>` within a minute (pypxeboot's fallback order).
 */
import { describe, expect, it } from 'vitest';
import { bufferContent, ContentDenied, type ContentHandler, type ContentRequest } from '../../src/content/types.js';
import { DOMU_FALLBACK_MS, pypxebootGuard } from '../../src/boot/pypxeboot-guard.js';
import { Inventory } from '../../src/inventory/snapshot.js';
import { tftpErrorText, TFTP_ERROR_TEXT_MAX } from '../../src/tftp/codec/error-text.js';
import { encodeTftpPacket } from '../../src/tftp/codec/packet.js';

const MBOOT = 'DEFAULT xen\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz --- vmlinuz --- initrd.img\n';
const SAFE = 'DEFAULT netboot\nLABEL netboot\n  KERNEL domu/vmlinuz\n  APPEND initrd=domu/initrd.img console=hvc0\n';

// Every name answers the mboot.c32 file except the safe one, as a TFTP root of hand-written files would.
const files: ContentHandler = async (request) => bufferContent(request.path.endsWith('safe') ? SAFE : MBOOT);
const inventory = new Inventory({
  profiles: [{ name: 'linux', kind: 'linux', kernel: 'k', initrds: [], args: ['a=b'] }],
  hosts: [
    { mac: '52:54:00:00:00:01', profile: 'linux', ip: '10.0.0.5' },
    { mac: '00:16:3e:00:00:02', profile: 'linux', ip: '10.0.0.6' },
  ],
  groups: [],
});
const request = (path: string, clientIp = '10.0.0.2', protocol: 'tftp' | 'http' = 'tftp'): ContentRequest => ({ path, rawPath: path, protocol, clientIp, clientPort: 1000, serverIp: '10.0.0.1' });

describe('pypxeboot guard', () => {
  it('refuses an unsafe file under a Xen MAC (known with a non-domU profile, or not) and its hex address, with the reason for the client', async () => {
    const guard = pypxebootGuard(files, { inventory: () => inventory });
    for (const path of ['pxelinux.cfg/01-00-16-3e-00-00-02', 'pxelinux.cfg/01-00-16-3E-99-99-99', 'pxelinux.cfg/0A000006']) {
      const error = await guard(request(path)).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(ContentDenied);
      expect((error as ContentDenied).clientMessage).toMatch(/is not safe for pypxeboot.*COM32 module/);
    }
    // Not a domU: served as it is (a dom0, its hex address, and a domU's name over HTTP).
    for (const r of [request('pxelinux.cfg/01-52-54-00-00-00-01'), request('pxelinux.cfg/0A000005'), request('pxelinux.cfg/01-00-16-3e-00-00-02', '10.0.0.2', 'http')]) {
      expect(await guard(r)).not.toBeNull();
    }
  });

  it('judges default as a domU\'s only when the same address asked a domU\'s 01-<mac> within the window', async () => {
    let now = 1_000_000;
    const guard = pypxebootGuard(files, { inventory: () => inventory, now: () => now });
    expect(await guard(request('pxelinux.cfg/default'))).not.toBeNull();
    await guard(request('pxelinux.cfg/01-00-16-3e-12-34-56')).catch(() => undefined);
    await expect(guard(request('pxelinux.cfg/default'))).rejects.toBeInstanceOf(ContentDenied);
    // Another address (a dom0 PXE-booting itself) still gets it.
    expect(await guard(request('pxelinux.cfg/default', '10.0.0.9'))).not.toBeNull();
    now += DOMU_FALLBACK_MS + 1;
    expect(await guard(request('pxelinux.cfg/default'))).not.toBeNull();
  });

  it('serves a safe file to a domU', async () => {
    const guard = pypxebootGuard(async () => bufferContent(SAFE), { inventory: () => inventory });
    expect(await guard(request('pxelinux.cfg/01-00-16-3e-12-34-56'))).not.toBeNull();
    expect(await guard(request('pxelinux.cfg/default'))).not.toBeNull();
  });
});

describe('tftpErrorText', () => {
  it('keeps an ERROR packet within one 516-byte datagram, printable ASCII only', () => {
    const text = tftpErrorText(`refused: ${'x'.repeat(2000)}\n→ é`);
    expect(text.length).toBe(TFTP_ERROR_TEXT_MAX);
    expect(text.endsWith('...')).toBe(true);
    expect(encodeTftpPacket({ type: 'error', code: 2, message: text }).length).toBe(516);
    expect(tftpErrorText('line 1\nkey → value é')).toBe('line 1 key -> value ?');
  });
});
