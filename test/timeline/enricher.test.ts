import { describe, expect, it } from 'vitest';
import type { BootEvent } from '../../src/timeline/types.js';
import { EventEnricher, macFromName, macFromQuery } from '../../src/timeline/enricher.js';

const http = (path: string, ip: string, status = 200): BootEvent => ({ kind: 'http', at: 1, ip, method: 'GET', path, status, bytes: 1, durationMs: 1 });
const tftp = (file: string, ip: string): BootEvent => ({
  kind: 'tftp',
  at: 1,
  ip,
  port: 2000,
  serverIp: '10.0.0.1',
  file,
  outcome: 'complete',
  bytes: 1,
  blksize: 512,
  windowsize: 1,
  durationMs: 1,
  retransmits: 0,
  sendBufferFull: 0,
});

describe('event enricher', () => {
  it('finds MACs in names: PXELINUX/GRUB names, mac= queries, MAC path segments', () => {
    expect(macFromName('pxelinux.cfg/01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    expect(macFromName('/grub/grub.cfg-01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    // The loaders' own names, under an option-210 path prefix too; names that carry no MAC give none.
    expect(macFromName('xenboot/pxelinux.cfg/01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    expect(macFromName('/ipxe/efi/01-52-54-00-12-34-56.ipxe')).toBe('52:54:00:12:34:56');
    expect(macFromName('xen-cfg/01-52-54-00-12-34-56')).toBe('52:54:00:12:34:56');
    expect(macFromName('pxelinux.cfg/4c4c4544-0031-3910-8051-b2c04f4e3732')).toBeUndefined();
    expect(macFromName('grub/grub.cfg-0A00')).toBeUndefined();
    expect(macFromName('/boot.ipxe?mac=52%3A54%3A00%3A12%3A34%3A56&uuid=x')).toBe('52:54:00:12:34:56');
    expect(macFromName('/api/v1/boot-spec/00:16:3e:11:22:33')).toBe('00:16:3e:11:22:33');
    expect(macFromQuery('/api/v1/boot-spec/00:16:3e:11:22:33')).toBeUndefined();
    expect(macFromQuery('/boot.ipxe?mac=%zz')).toBeUndefined();
  });

  it('an iPXE script fetch naming its MAC binds its address, so later file fetches are attributed (proxy mode)', () => {
    const enricher = new EventEnricher();
    expect(enricher.enrichNow(http('/xen/xen', '10.0.0.150')).mac).toBeUndefined();
    expect(enricher.enrichNow(http('/boot.ipxe?mac=52:54:00:12:34:56', '10.0.0.150')).mac).toBe('52:54:00:12:34:56');
    expect(enricher.enrichNow(http('/xen/xen', '10.0.0.150')).mac).toBe('52:54:00:12:34:56');
    // A refused fetch teaches nothing.
    enricher.enrichNow(http('/boot.ipxe?mac=52:54:00:99:99:99', '10.0.0.151', 404));
    expect(enricher.macForIp('10.0.0.151')).toBeUndefined();
  });

  it('a proxy ACK on port 4011 binds the ciaddr it was asked from, so the firmware\'s TFTP is attributed', () => {
    const enricher = new EventEnricher();
    expect(enricher.enrichNow(tftp('grubx64.efi', '10.0.0.154')).mac).toBeUndefined();
    // A silent answer and an ACK to another address bind nothing.
    enricher.enrichNow({ kind: 'dhcp', at: 1, mac: '52:54:00:e2:29:01', ip: '10.0.0.154', messageType: 'REQUEST', reply: null });
    expect(enricher.enrichNow(tftp('grubx64.efi', '10.0.0.154')).mac).toBeUndefined();
    enricher.enrichNow({ kind: 'dhcp', at: 1, mac: '52:54:00:e2:29:01', ip: '10.0.0.154', messageType: 'REQUEST', reply: 'ACK', reason: 'proxy boot server', bootFile: 'grubx64.efi' });
    expect(enricher.enrichNow(tftp('grubx64.efi', '10.0.0.154')).mac).toBe('52:54:00:e2:29:01');
    // An ACK that assigns an address binds that address, not ciaddr.
    enricher.enrichNow({ kind: 'dhcp', at: 1, mac: '52:54:00:00:00:02', ip: '10.0.0.9', yiaddr: '10.0.0.10', messageType: 'REQUEST', reply: 'ACK' });
    expect(enricher.macForIp('10.0.0.10')).toBe('52:54:00:00:00:02');
    expect(enricher.macForIp('10.0.0.9')).toBeUndefined();
  });

  it('a MAC in a path is not the address owner: pypxeboot and xenboot-pvboot ask for a domU from dom0', () => {
    const enricher = new EventEnricher();
    enricher.enrichNow({ kind: 'dhcp', at: 0, mac: '52:54:00:00:00:d0', messageType: 'REQUEST', reply: 'ACK', yiaddr: '10.0.0.2' });
    expect(enricher.enrichNow(tftp('pxelinux.cfg/01-00-16-3e-11-22-33', '10.0.0.2')).mac).toBe('00:16:3e:11:22:33');
    expect(enricher.enrichNow(http('/api/v1/boot-spec/00:16:3e:11:22:33', '10.0.0.2')).mac).toBe('00:16:3e:11:22:33');
    // dom0's own address still belongs to dom0.
    expect(enricher.macForIp('10.0.0.2')).toBe('52:54:00:00:00:d0');
  });
});
