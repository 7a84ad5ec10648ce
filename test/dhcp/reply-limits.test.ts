/**
 * Regression tests for what the reply properties (`reply-properties.test.ts`) found: values that cannot go
 * on the wire as firmware reads them are refused when the config is loaded, every problem listed at once;
 * and the replies of accepted configs keep the boot file, put option 67 last and mirror only a well-formed
 * option 97. Each failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load.js';
import { respond } from '../../src/dhcp/responder.js';
import { encodePacket, MessageType } from '../../src/dhcp/packet.js';
import { encodeReply } from '../../src/dhcp/reply.js';
import { checkReply, readRequest } from './firmware-reply-checker.js';
import { arch, request, responderContext } from './requests.js';

const SERVER = '10.208.0.1';

function problems(input: Record<string, unknown>): string[] {
  const result = buildConfig({ server: { address: SERVER }, ...input }, { baseDir: '/tmp', privileged: false });
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

function accepted(input: Record<string, unknown>) {
  const result = buildConfig({ server: { address: SERVER }, ...input }, { baseDir: '/tmp', privileged: false });
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

const full = { mode: 'full', subnet: '10.208.0.0/24', ranges: [{ start: '10.208.0.100', end: '10.208.0.199' }], router: SERVER };
const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.9.${i >> 8}.${(i & 255) + 1}`);

describe('config load refuses what cannot go on the wire, listing every problem', () => {
  it('dhcp.options codes xenboot sets itself (they silently replaced or repeated its own values)', () => {
    const found = problems({
      dhcp: {
        ...full,
        options: [1, 3, 6, 12, 15, 17, 28, 42, 60, 66, 67, 93, 97, 209, 210, 211].map((code) => ({ code, type: 'hex', value: '01', always: true })),
      },
    });
    for (const [i, code] of [1, 3, 6, 12, 15, 17, 28, 42, 60, 66, 67, 93, 97, 209, 210, 211].entries()) {
      expect(found).toContainEqual(expect.stringMatching(new RegExp(`^dhcp\\.options\\[${i}\\]\\.code: option ${code} is set by the server and cannot be set here: `)));
    }
    expect(found.find((p) => p.includes('option 3 '))).toContain('set it with dhcp.router');
  });

  it('dhcp.options values of the wrong length for their code, over 255 bytes or not ASCII', () => {
    const found = problems({
      dhcp: {
        ...full,
        options: [
          { code: 26, type: 'u8', value: 200 }, // interface MTU is 16 bits
          { code: 19, type: 'u8', value: 2 }, // IP forwarding is a 0/1 switch
          { code: 2, type: 'u16', value: 3600 }, // time offset is 32 bits
          { code: 150, type: 'hex', value: 'ab'.repeat(256) },
          { code: 151, type: 'ips', value: ips(64) },
          { code: 152, type: 'text', value: 'café' },
          { code: 43, type: 'hex', value: '0601' }, // PXE sub-option list without its value and end
          { code: 43, type: 'hex', value: '0100ff' }, // sub-option 1 is an address: 4 bytes
        ],
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dhcp\.options\[0\]\.value: option 26 is 1 byte; .*exactly 1 16-bit number/),
        'dhcp.options[1].value: option 19 is a flag: 0 or 1 only',
        expect.stringMatching(/^dhcp\.options\[2\]\.value: option 2 is 2 bytes; .*32-bit number/),
        expect.stringMatching(/^dhcp\.options\[3\]\.value: option 150 is 256 bytes; one option holds at most 255/),
        expect.stringMatching(/^dhcp\.options\[4\]\.value: option 151 is 256 bytes; one option holds at most 255/),
        expect.stringMatching(/^dhcp\.options\[5\]\.value: option 152 of type text needs printable ASCII text/),
        'dhcp.options[6].value: option 43 sub-option 6 claims 1 bytes but 0 remain',
        'dhcp.options[7].value: option 43 PXE sub-option 1 must be 4 bytes, is 0',
      ]),
    );
    expect(found).toHaveLength(8);
  });

  it('DNS/NTP lists over one option, names that are not ASCII or not host names, boot files too long for option 67', () => {
    const found = problems({
      http: { publicUrl: `http://${'x'.repeat(200)}.example` },
      dhcp: {
        ...full,
        dns: ips(64),
        ntp: ips(70),
        domain: 'labø.example',
        reservations: [{ mac: '02:00:00:08:00:01', ip: '10.208.0.10', hostname: 'a..b' }],
        pxelinux: { configFile: 'pxelinux.cfg/défaut' },
        boot: { bios: 'pxé.0', efiX64: `efi/${'g'.repeat(260)}.efi` },
        relaySubnets: [{ subnet: '10.208.1.0/24', dns: ips(64) }],
      },
      inventory: {
        profiles: [{ name: 'local', kind: 'localboot', loader: { httpX64: { family: 'grub', file: `${'h'.repeat(200)}.efi` } } }],
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'dhcp.dns: 64 servers; one option holds at most 63 addresses',
        'dhcp.ntp: 70 servers; one option holds at most 63 addresses',
        'dhcp.relaySubnets[0].dns: 64 servers; one option holds at most 63 addresses',
        expect.stringMatching(/^dhcp\.domain: "labø\.example" is not a domain name/),
        'dhcp.reservations[0].hostname: "a..b" is not an RFC 1123 host name',
        'dhcp.pxelinux.configFile: "pxelinux.cfg/défaut" must be printable ASCII (it goes in option 209)',
        expect.stringMatching(/^dhcp\.boot\.bios: boot file "pxé\.0" must be printable ASCII without spaces/),
        expect.stringMatching(/^dhcp\.boot\.efiX64: boot file is 268 bytes; option 67 holds at most 255/),
        expect.stringMatching(/^http\.publicUrl: the default iPXE script URL built from it: boot file is 27\d bytes; option 67 holds at most 255/),
        expect.stringMatching(/^inventory\.profiles\[0\]\.loader\.httpX64\.file: boot file is 4\d\d bytes; option 67 holds at most 255/),
      ]),
    );
  });

  it('still accepts what fits: 63 DNS servers, a 255-byte boot file, site-specific options of 255 bytes', () => {
    expect(problems({ dhcp: { ...full, dns: ips(63), ntp: ips(63), domain: 'lab.example.', boot: { bios: `b/${'x'.repeat(253)}` }, options: [{ code: 150, type: 'hex', value: 'ab'.repeat(255) }, { code: 43, type: 'hex', value: '060108ff' }] } })).toEqual([]);
  });
});

describe('replies of accepted configs', () => {
  const tight = {
    ...full,
    dns: ips(20),
    domain: `${'d'.repeat(60)}.${'e'.repeat(60)}.example`,
    reservations: [{ mac: '02:00:00:08:00:01', ip: '10.208.0.10', hostname: 'h'.repeat(63) }],
    pxelinux: { configFile: `pxelinux.cfg/${'c'.repeat(80)}`, pathPrefix: `/${'p'.repeat(80)}/` },
    boot: { bios: `boot/${'b'.repeat(195)}.0` },
  };

  it('a boot file too long for the file field is sent in option 67 even when the reply is full (it was dropped)', async () => {
    const config = accepted({ dhcp: tight });
    const { context } = await responderContext(config);
    const discover = request({ type: MessageType.Discover, mac: '02:00:00:08:00:01', options: { 93: arch(0), 60: 'PXEClient:Arch:00000:UNDI:002001', 55: Buffer.from([1, 3, 6, 12, 15, 28, 66, 67]) } });
    const outcome = await respond(discover, { address: '0.0.0.0', port: 68, via: 'dhcp' }, context());
    const bytes = encodeReply(outcome.reply!.packet);
    const { reply, problems: broken } = checkReply(bytes, { request: readRequest(encodePacket(discover)), serverAddress: SERVER, expectType: MessageType.Offer, bootFile: tight.boot.bios });
    expect(broken).toEqual([]);
    expect(reply.file).toBe('');
    expect(reply.options.find((o) => o.code === 67)?.data.toString()).toBe(tight.boot.bios);
    expect(outcome.dropped?.length).toBeGreaterThan(0);
    expect(bytes.length).toBeLessThanOrEqual(548);
  });

  it('option 67 is the last option before End, and before option 82 when relayed (EDK2 writes a NUL after it)', async () => {
    const config = accepted({ dhcp: { ...full, dns: ['10.208.0.53'], pxelinux: { configFile: 'pxelinux.cfg/default', pathPrefix: '/' }, relaySubnets: [{ subnet: '10.208.1.0/24', ranges: [{ start: '10.208.1.100', end: '10.208.1.110' }] }] } });
    const { context } = await responderContext(config);
    const relayInfo = Buffer.from([1, 4, 0x65, 0x74, 0x68, 0x30]);
    const discover = request({ type: MessageType.Discover, mac: '02:00:00:08:00:05', giaddr: '10.208.1.1', options: { 93: arch(7), 55: Buffer.from([67, 1, 3, 6, 66]), 82: relayInfo } });
    const outcome = await respond(discover, { address: '10.208.1.1', port: 67, via: 'dhcp' }, context());
    const { reply, problems: broken } = checkReply(encodeReply(outcome.reply!.packet), { request: readRequest(encodePacket(discover)), serverAddress: SERVER, expectType: MessageType.Offer });
    expect(broken).toEqual([]);
    expect(reply.options.map((o) => o.code).slice(-2)).toEqual([67, 82]);
  });

  it('proxy mode mirrors option 97 only in its RFC 4578 form (a 3-byte 97 was echoed as sent)', async () => {
    const config = accepted({ dhcp: { mode: 'proxy' } });
    const { context } = await responderContext(config);
    const efi = { 93: arch(7), 60: 'PXEClient:Arch:00007:UNDI:003000' };
    const bad = request({ type: MessageType.Discover, mac: '02:00:00:08:00:06', options: { ...efi, 97: Buffer.from([0, 1, 2]) } });
    const badReply = (await respond(bad, { address: '0.0.0.0', port: 68, via: 'dhcp' }, context())).reply!.packet;
    expect(badReply.options.has(97)).toBe(false);
    const uuid = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 0x5a)]);
    const good = request({ type: MessageType.Discover, mac: '02:00:00:08:00:06', options: { ...efi, 97: uuid } });
    const goodReply = (await respond(good, { address: '0.0.0.0', port: 68, via: 'dhcp' }, context())).reply!.packet;
    expect(goodReply.options.get(97)).toEqual(uuid);
  });
});
