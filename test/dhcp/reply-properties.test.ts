/**
 * Property tests of the encoder side: for arbitrary configs the loader accepts (long host names, many DNS
 * and NTP servers, long public URLs and boot files, custom `dhcp.options`, PXELINUX options, inventories
 * with their own loaders, proxy mode) and arbitrary requests (every firmware architecture, option 57
 * sizes, parameter lists, relayed with option 82, options 60/77/97/175 in every shape), every reply xenboot
 * produces passes the strict firmware checker (`firmware-reply-checker.ts`), which reads the bytes on its
 * own. A config that cannot produce such replies must be refused when it is loaded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import { createInventoryBooter } from '../../src/boot/inventory-booter.js';
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import type { DhcpOutcome, RequestSource, ResponderContext } from '../../src/dhcp/context.js';
import { LeaseTable } from '../../src/dhcp/leases.js';
import { decodePacket, encodePacket, MessageType, type DhcpPacket } from '../../src/dhcp/packet.js';
import { encodeReply } from '../../src/dhcp/reply.js';
import { respond } from '../../src/dhcp/responder.js';
import { buildSubnets } from '../../src/dhcp/subnets.js';
import { InventoryProvider } from '../../src/inventory/snapshot.js';
import { parseMac } from '../../src/net/mac.js';
import { inventoryInputFromConfig } from '../../src/boot-service.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { checkReply, readRequest } from './firmware-reply-checker.js';
import { request as buildRequest } from './requests.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

const SERVER = '10.208.0.1';
const RELAY = '10.208.1.1';
const MACS = ['02:00:00:08:00:01', '02:00:00:08:00:02', '02:00:00:08:00:03', '02:00:00:08:00:04'];

// ---- configs ----------------------------------------------------------------------------------------

const octet = fc.integer({ min: 1, max: 254 });
const anyIp = fc.tuple(octet, octet, octet, octet).map((p) => p.join('.'));
/** Address lists short and long, around the 63 addresses one option holds. */
const addressList = fc.oneof({ weight: 6, arbitrary: fc.array(anyIp, { maxLength: 8 }) }, { weight: 1, arbitrary: fc.array(anyIp, { minLength: 55, maxLength: 70 }) });

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.')).filter((h) => h.length <= 253);
/** Text mostly as a config would hold it, sometimes over-long, non-ASCII or binary. */
const anyText = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[ -~]{1,60}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._/-]{1,300}$/) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 })) },
);
const bootPath = fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._/-]{0,150}$/) }, { weight: 1, arbitrary: anyText });
const url = fc
  .tuple(fc.constantFrom('http://', 'https://'), fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9.-]{1,80}$/) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9.-]{1,280}$/) }), fc.stringMatching(/^(\/[a-z0-9._-]{0,40}){0,3}$/))
  .map((p) => p.join(''));

/** Mostly site-specific codes (128–254, no fixed format), sometimes any code with any type. */
const optionCode = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 128, max: 254 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 254 }) });
const extraOption = fc.oneof(
  fc.record({ code: optionCode, type: fc.constant('text'), value: anyText }),
  fc.record({ code: optionCode, type: fc.constant('ip'), value: anyIp }),
  fc.record({ code: optionCode, type: fc.constant('ips'), value: addressList.filter((l) => l.length > 0) }),
  fc.record({ code: optionCode, type: fc.constantFrom('u8', 'u16', 'u32'), value: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ code: optionCode, type: fc.constant('bool'), value: fc.boolean() }),
  fc.record({ code: optionCode, type: fc.constant('hex'), value: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString('hex')) }),
  // Option 43 as PXE sub-options, well-formed or not.
  fc.record({ code: fc.constant(43), type: fc.constant('hex'), value: fc.constantFrom('060108ff', '0601', '01040a000001ff', '0102ff', '06010809', '0a05036d656e75ff') }),
).chain((o) => fc.boolean().map((always) => ({ ...o, always })));

const loaderChoice = fc.record(
  { family: fc.constantFrom('pxelinux', 'ipxe', 'grub'), file: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._/-]{0,150}$/) }, { weight: 1, arbitrary: url }) },
  { requiredKeys: ['family'] },
);
const loaders = fc.dictionary(fc.constantFrom('bios', 'efiX64', 'efiIa32', 'efiArm64', 'efiArm32', 'httpX64', 'fallback'), loaderChoice, { maxKeys: 2 });

const inventory = fc.record({
  hosts: fc.uniqueArray(
    fc.record({ mac: fc.constantFrom(...MACS), hostname: fc.option(hostname, { nil: undefined }), loader: fc.option(loaders, { nil: undefined }) }),
    { selector: (h) => h.mac, maxLength: 4 },
  ),
  unknownProfile: fc.boolean(),
});

const dhcpSection = fc.record({
  mode: fc.constantFrom('full', 'full', 'proxy'),
  dns: addressList,
  ntp: addressList,
  domain: fc.option(fc.oneof({ weight: 8, arbitrary: hostname }, { weight: 1, arbitrary: anyText }), { nil: undefined }),
  reservationHostname: fc.option(hostname.filter((h) => h.length <= 63), { nil: undefined }),
  options: fc.array(extraOption, { maxLength: 5 }),
  pxelinux: fc.record({ configFile: anyText, pathPrefix: anyText, rebootTime: fc.integer({ min: 1, max: 100_000 }) }, { requiredKeys: [] }),
  boot: fc.record(
    { bios: bootPath, efiX64: bootPath, efiIa32: bootPath, efiArm64: bootPath, efiArm32: bootPath, httpX64: url, fallback: bootPath, ipxeScript: url },
    { requiredKeys: [] },
  ),
  publicUrl: fc.option(url, { nil: undefined }),
  leaseTime: fc.integer({ min: 60, max: 31_536_000 }),
  inventory,
});

type DhcpSection = typeof dhcpSection extends fc.Arbitrary<infer T> ? T : never;

/** The config file the generated values describe (the loader decides whether it is acceptable). */
function configInput(section: DhcpSection): Record<string, unknown> {
  const { mode, dns, ntp, domain, reservationHostname, options, pxelinux, boot, publicUrl, leaseTime, inventory: inv } = section;
  return {
    server: { address: SERVER },
    ...(publicUrl !== undefined ? { http: { publicUrl } } : {}),
    dhcp: {
      mode,
      subnet: '10.208.0.0/24',
      ranges: [{ start: '10.208.0.100', end: '10.208.0.199' }],
      router: SERVER,
      dns,
      ntp,
      ...(domain !== undefined ? { domain } : {}),
      leaseTime,
      reservations: [{ mac: MACS[0], ip: '10.208.0.10', ...(reservationHostname !== undefined ? { hostname: reservationHostname } : {}) }],
      options,
      pxelinux,
      boot,
      relaySubnets: [{ subnet: '10.208.1.0/24', ranges: [{ start: '10.208.1.100', end: '10.208.1.199' }], router: RELAY, dns: dns.slice(0, 3) }],
    },
    inventory: {
      profiles: [{ name: 'local', kind: 'localboot' }],
      hosts: inv.hosts.map((h) => ({ mac: h.mac, profile: 'local', ...(h.hostname !== undefined ? { hostname: h.hostname } : {}), ...(h.loader !== undefined ? { loader: h.loader } : {}) })),
      ...(inv.unknownProfile ? { unknown: { boot: 'profile', profile: 'local' } } : {}),
    },
  };
}

// ---- requests ---------------------------------------------------------------------------------------

const ARCHES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0xffff];

const clientShape = fc.record({
  mac: fc.constantFrom(...MACS),
  arch: fc.option(fc.constantFrom(...ARCHES), { nil: undefined }),
  vendor: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('PXEClient:Arch:00000:UNDI:002001', 'PXEClient:Arch:00007:UNDI:003000', 'HTTPClient:Arch:00016:UNDI:003001', 'udhcp 0.9.8', 'PXEClient', 'HTTPClient'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  ),
  ipxe: fc.constantFrom('none', 'user-class', 'rfc3004', 'encap'),
  asked: fc.oneof(fc.constant(undefined), fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 60 }), fc.constant([1, 3, 6, 12, 15, 17, 28, 42, 43, 60, 66, 67, 97, 209, 210, 211])),
  maxSize: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(576, 1024, 1464, 1500)),
  uuid: fc.oneof(fc.constant(undefined), fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.concat([Buffer.from([0]), b])), fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => Buffer.from(b))),
  relayed: fc.boolean(),
  relayInfo: fc.option(fc.uint8Array({ minLength: 1, maxLength: 255 }).map((b) => Buffer.from(b)), { nil: undefined }),
  broadcast: fc.boolean(),
});

type ClientShape = typeof clientShape extends fc.Arbitrary<infer T> ? T : never;

function requestOptions(client: ClientShape, extra: Record<number, Buffer> = {}): Record<number, Buffer> {
  const options: Record<number, Buffer> = { ...extra };
  if (client.arch !== undefined) options[93] = Buffer.from([client.arch >> 8, client.arch & 255]);
  if (client.vendor !== undefined) options[60] = Buffer.from(client.vendor, 'latin1');
  if (client.ipxe === 'user-class') options[77] = Buffer.from('iPXE');
  if (client.ipxe === 'rfc3004') options[77] = Buffer.from([4, ...Buffer.from('iPXE')]);
  if (client.ipxe === 'encap') options[175] = Buffer.from([0xb1, 1, 1]);
  if (client.asked !== undefined) options[55] = Buffer.from(client.asked);
  if (client.maxSize !== undefined) options[57] = Buffer.from([client.maxSize >> 8, client.maxSize & 255]);
  if (client.uuid !== undefined) options[97] = client.uuid;
  if (client.relayed && client.relayInfo !== undefined) options[82] = client.relayInfo;
  return options;
}

/** The request as the server receives it: encoded by a client, decoded by xenboot's decoder. */
function wire(client: ClientShape, type: number, extra: Record<number, Buffer> = {}, ciaddr?: string): { packet: DhcpPacket; bytes: Buffer } {
  const packet = buildRequest({
    type,
    mac: client.mac,
    xid: 0x5eed0000 + type,
    flags: client.broadcast ? 0x8000 : 0,
    ...(client.relayed ? { giaddr: RELAY } : {}),
    ...(ciaddr !== undefined ? { ciaddr } : {}),
    options: requestOptions(client, extra),
  });
  const bytes = encodePacket(packet);
  return { packet: decodePacket(bytes), bytes };
}

// ---- the property -----------------------------------------------------------------------------------

function contextFor(config: Config, start: number) {
  const subnets = buildSubnets(config.dhcp);
  const reservations = new Map(config.dhcp.reservations.map((r) => [parseMac(r.mac)!, r.ip]));
  const leases = new LeaseTable(createMemoryLeaseStore(), subnets, reservations, [config.server.address], false);
  const provider = new InventoryProvider(inventoryInputFromConfig(config));
  const base = createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, singlePublicUrl(config.http.publicUrl)) });
  const booter = createInventoryBooter(provider, base, singlePublicUrl(config.http.publicUrl));
  return (now: number): ResponderContext => ({ config: config.dhcp, serverAddress: config.server.address, subnets, booter, leases, now: start + now });
}

interface Checked {
  name: string;
  problems: string[];
}

function check(name: string, outcome: DhcpOutcome, requestBytes: Buffer, expectType: number, inform = false): Checked & { yiaddr?: string } {
  if (!outcome.reply) return { name, problems: [] };
  const bytes = encodeReply(outcome.reply.packet);
  const { reply, problems } = checkReply(bytes, {
    request: readRequest(requestBytes),
    serverAddress: SERVER,
    expectType,
    inform,
    ...(outcome.bootFile !== undefined && expectType !== MessageType.Nak ? { bootFile: outcome.bootFile } : {}),
  });
  return { name, problems: problems.map((p) => `${name}: ${p}`), yiaddr: reply.yiaddr };
}

/** Every exchange a client can have with this config, each reply checked. */
async function exchanges(config: Config, client: ClientShape): Promise<Checked[]> {
  const context = contextFor(config, 1_700_000_000_000);
  const dhcp: RequestSource = { address: client.relayed ? RELAY : '0.0.0.0', port: client.relayed ? 67 : 68, via: 'dhcp' };
  const results: Checked[] = [];
  const discover = wire(client, MessageType.Discover);
  const offer = check('OFFER', await respond(discover.packet, dhcp, context(0)), discover.bytes, MessageType.Offer);
  results.push(offer);
  if (config.dhcp.mode === 'proxy') {
    const asked = wire(client, MessageType.Request);
    results.push(check('proxy ACK', await respond(asked.packet, { address: '10.208.0.150', port: 4011, via: 'proxy' }, context(1)), asked.bytes, MessageType.Ack));
    return results;
  }
  if (offer.yiaddr === undefined || offer.yiaddr === '0.0.0.0') return results;
  const ip = Buffer.from(offer.yiaddr.split('.').map(Number));
  const selecting = wire(client, MessageType.Request, { 54: Buffer.from([10, 208, 0, 1]), 50: ip });
  results.push(check('ACK', await respond(selecting.packet, dhcp, context(1)), selecting.bytes, MessageType.Ack));
  const wrong = wire(client, MessageType.Request, { 50: Buffer.from([192, 0, 2, 7]) });
  results.push(check('NAK', await respond(wrong.packet, dhcp, context(2)), wrong.bytes, MessageType.Nak));
  const inform = wire(client, MessageType.Inform, {}, offer.yiaddr);
  results.push(check('INFORM ACK', await respond(inform.packet, dhcp, context(3)), inform.bytes, MessageType.Ack, true));
  return results;
}

describe('every DHCP reply xenboot can produce is one firmware parsers accept', () => {
  it('arbitrary accepted configs × arbitrary requests → replies pass the strict checker', async () => {
    let accepted = 0;
    let replies = 0;
    await fc.assert(
      fc.asyncProperty(dhcpSection, fc.array(clientShape, { minLength: 1, maxLength: 3 }), async (section, clients) => {
        const built = buildConfig(configInput(section), { baseDir: '/tmp', privileged: false });
        if (!built.ok) return;
        accepted += 1;
        for (const client of clients) {
          for (const result of await exchanges(built.config, client)) {
            if (result.problems.length > 0) throw new Error(result.problems.join('\n'));
            replies += 1;
          }
        }
      }),
      { numRuns: Number(process.env.XENBOOT_PROPERTY_RUNS ?? 400) },
    );
    // Not vacuous: a good share of the generated configs load (about a third) and are answered.
    expect(accepted).toBeGreaterThan(50);
    expect(replies).toBeGreaterThan(100);
  });
});
