/**
 * Proxy mode on real sockets: xenboot in proxy mode in one namespace, PXE requests from another. A PXE
 * DISCOVER gets a broadcast OFFER without an address; the port 4011 REQUEST gets an ACK back to the
 * sender; a non-PXE DISCOVER gets nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIp, Opt } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType } from '../../src/dhcp/packet.js';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { arch, clientKinds, request } from './requests.js';

describe('proxy mode on real sockets', () => {
  let server: Namespace;
  let client: Namespace;
  let xenboot: RunningProcess;

  beforeAll(async () => {
    await requireCommands('ip');
    server = await Namespace.create('xbd');
    client = await Namespace.create('xbd');
    const [, clientIf] = await connect(server, '10.202.60.1/24', client, '10.202.60.2/24');
    // A limited broadcast needs a route; send it out of the veth.
    await client.ip('route', 'add', 'default', 'dev', clientIf);
    const config = writeTempConfig({
      server: { address: '10.202.60.1' },
      log: { level: 'debug', format: 'json' },
      http: { enabled: false },
      tftp: { enabled: false },
      store: { kind: 'memory' },
      dhcp: { mode: 'proxy', boot: { bios: 'undionly.kpxe', efiX64: 'ipxe.efi' } },
    });
    xenboot = await startXenboot(config, server);
  });

  afterAll(async () => {
    await xenboot?.stop('SIGTERM', 3_000);
    await client?.delete();
    await server?.delete();
  });

  const probe = async (bindPort: number, address: string, port: number, packet: Buffer) => {
    const result = await client.exec(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'dhcp', 'probe.ts'), String(bindPort), address, String(port), packet.toString('hex'), '2500'], { cwd: repoRoot, timeoutMs: 20_000 });
    return result.stdout.split('\n').filter(Boolean).map((hex) => decodePacket(Buffer.from(hex, 'hex')));
  };

  it('answers a BIOS PXE DISCOVER with a broadcast OFFER: no address, PXEClient, option 43, siaddr and boot file', async () => {
    const replies = await probe(68, '255.255.255.255', 67, encodePacket(request({ type: MessageType.Discover, mac: '02:00:00:60:00:01', options: clientKinds['BIOS PXE ROM'] })));
    const offer = replies.find((p) => p.op === 2)!;
    expect(offer.type).toBe(MessageType.Offer);
    expect(offer.yiaddr).toBe('0.0.0.0');
    expect(offer.siaddr).toBe('10.202.60.1');
    expect(offer.file).toBe('undionly.kpxe');
    expect(offer.options.get(Opt.VendorClass)?.toString()).toBe('PXEClient');
    expect(getIp(offer.options, Opt.ServerId)).toBe('10.202.60.1');
    expect(offer.options.get(Opt.VendorSpecific)).toEqual(Buffer.from([6, 1, 8, 255]));
  });

  it('answers the EFI REQUEST on port 4011 with an ACK to the sender, mirroring option 97', async () => {
    const uuid = Buffer.from('00085994b8a6d6a941611d74a6ab80b83d', 'hex');
    const packet = request({ type: MessageType.Request, mac: '02:00:00:60:00:02', ciaddr: '10.202.60.2', options: { ...clientKinds['EFI PXE (93 = 7)'], [Opt.ClientUuid]: uuid } });
    const replies = await probe(4011, '10.202.60.1', 4011, encodePacket(packet));
    const ack = replies.find((p) => p.op === 2)!;
    expect(ack.type).toBe(MessageType.Ack);
    expect(ack.file).toBe('ipxe.efi');
    expect(ack.options.get(Opt.ClientUuid)).toEqual(uuid);
    expect(ack.options.get(Opt.VendorClass)?.toString()).toBe('PXEClient');
  });

  it('ignores a client that is not PXE', async () => {
    const replies = await probe(68, '255.255.255.255', 67, encodePacket(request({ type: MessageType.Discover, mac: '02:00:00:60:00:03', options: { [Opt.ClientArch]: arch(0) } })));
    expect(replies.filter((p) => p.op === 2)).toEqual([]);
    expect(xenboot.output()).toMatch(/"reason":"proxy mode answers PXE clients only","mac":"02:00:00:60:00:03"/);
  });
});
