import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load.js';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType, Op, type DhcpPacket } from '../../src/dhcp/packet.js';
import { RogueServerTable, sightingOf, MAX_SOURCES, type RogueSighting, type SightingPolicy } from '../../src/dhcp/rogue-detection.js';
import { PROBE_VENDOR_CLASS, probeDiscover } from '../../src/dhcp/rogue-probe.js';
import { RogueWatch } from '../../src/dhcp/rogue-watch.js';
import type { Logger } from '../../src/log.js';
import { EventBus } from '../../src/timeline/bus.js';
import type { BootEvent } from '../../src/timeline/types.js';
import { request } from './requests.js';

const OWN = '10.207.9.1';
const ROGUE = '10.207.9.66';
const ALLOWED = '10.207.9.3';
const CLIENT = '02:00:00:07:09:01';
const PROBE = '02:78:62:00:00:01';
const policy: SightingPolicy = { ownAddresses: new Set([OWN]), allowedServers: new Set([ALLOWED]) };

/** A server's reply to `mac` as it would arrive on the wire (encoded and decoded again). */
function reply(type: number | null, options: Record<number, Buffer> = {}, fields: Partial<DhcpPacket> = {}, mac = CLIENT): DhcpPacket {
  const base = request({ type: type ?? MessageType.Offer, mac });
  const packet: DhcpPacket = { ...base, op: Op.Reply, type, yiaddr: '10.207.9.120', siaddr: ROGUE, file: 'evil.0', options: new Map(Object.entries(options).map(([k, v]) => [Number(k), v])), ...fields };
  return decodePacket(encodePacket(packet));
}

describe('sightingOf: which messages prove another DHCP server', () => {
  it('an OFFER with another server identifier names that server, with what it offered', () => {
    const sighting = sightingOf(reply(MessageType.Offer, { [Opt.ServerId]: ipBytes(ROGUE) }), ROGUE, 'client-port', policy);
    expect(sighting).toEqual({ serverId: ROGUE, sourceIp: ROGUE, messageType: 'OFFER', via: 'client-port', clientMac: CLIENT, yiaddr: '10.207.9.120', bootFile: 'evil.0', nextServer: ROGUE });
  });

  it('option 67 wins over the file field; a NAK carries no boot file', () => {
    expect(sightingOf(reply(MessageType.Ack, { [Opt.ServerId]: ipBytes(ROGUE), [Opt.BootFile]: Buffer.from('grub.efi') }), ROGUE, 'client-port', policy)?.bootFile).toBe('grub.efi');
    const nak = sightingOf(reply(MessageType.Nak, { [Opt.ServerId]: ipBytes(ROGUE) }, { yiaddr: '0.0.0.0' }), ROGUE, 'client-port', policy);
    expect(nak).toEqual({ serverId: ROGUE, sourceIp: ROGUE, messageType: 'NAK', via: 'client-port', clientMac: CLIENT });
  });

  it('a BOOTP reply (no option 53, no 54) is named by its source address', () => {
    expect(sightingOf(reply(null), '10.207.9.77', 'client-port', policy)).toMatchObject({ serverId: '10.207.9.77', messageType: 'BOOTP' });
  });

  it('a client REQUEST naming another server is a sighting of that server; one naming xenboot is not', () => {
    const choosing = request({ type: MessageType.Request, mac: CLIENT, options: { [Opt.ServerId]: ipBytes(ROGUE), [Opt.RequestedIp]: ipBytes('10.207.9.130') } });
    expect(sightingOf(choosing, '0.0.0.0', 'server-port', policy)).toEqual({ serverId: ROGUE, messageType: 'REQUEST', via: 'server-port', clientMac: CLIENT, yiaddr: '10.207.9.130' });
    const ours = request({ type: MessageType.Request, mac: CLIENT, options: { [Opt.ServerId]: ipBytes(OWN) } });
    expect(sightingOf(ours, '0.0.0.0', 'server-port', policy)).toBeNull();
  });

  it('DISCOVER, INFORM and a renewing REQUEST (no option 54) prove nothing', () => {
    for (const type of [MessageType.Discover, MessageType.Inform, MessageType.Request]) {
      expect(sightingOf(request({ type, mac: CLIENT }), '10.207.9.40', 'server-port', policy)).toBeNull();
    }
  });

  it("xenboot's own replies and allowed servers (by identifier or by source address) are not reported", () => {
    expect(sightingOf(reply(MessageType.Offer, { [Opt.ServerId]: ipBytes(OWN) }), OWN, 'client-port', policy)).toBeNull();
    expect(sightingOf(reply(MessageType.Offer, { [Opt.ServerId]: ipBytes(ALLOWED) }), ALLOWED, 'client-port', policy)).toBeNull();
    // An allowed server answering from its address with another identifier (a second interface) is still allowed.
    expect(sightingOf(reply(MessageType.Offer, { [Opt.ServerId]: ipBytes('10.99.0.1') }), ALLOWED, 'client-port', policy)).toBeNull();
  });

  it('server messages that are not replies, and a malformed option 54, never throw', () => {
    expect(sightingOf(reply(MessageType.Release, { [Opt.ServerId]: ipBytes(ROGUE) }), ROGUE, 'client-port', policy)).toBeNull();
    const bad = reply(MessageType.Offer, { [Opt.ServerId]: Buffer.from([10, 207, 9]) });
    expect(sightingOf(bad, ROGUE, 'client-port', policy)).toMatchObject({ serverId: ROGUE, sourceIp: ROGUE });
    expect(sightingOf({ ...bad, op: 7 }, ROGUE, 'client-port', policy)).toBeNull();
  });
});

describe('RogueServerTable: remember every server, report each once and then rarely', () => {
  const sighting = (serverId: string, extra: Partial<RogueSighting> = {}): RogueSighting => ({ serverId, sourceIp: serverId, messageType: 'OFFER', via: 'probe', ...extra });

  it('reports a server when new, stays quiet while it keeps answering, and reports it again after the interval', () => {
    const table = new RogueServerTable({ reportIntervalMs: 600_000 });
    expect(table.record(sighting(ROGUE), 1_000).report).toBe('new');
    expect(table.record(sighting(ROGUE, { via: 'client-port', clientMac: CLIENT, yiaddr: '10.207.9.5' }), 2_000).report).toBeNull();
    expect(table.record(sighting(ROGUE), 600_999).report).toBeNull();
    const again = table.record(sighting(ROGUE), 601_000);
    expect(again.report).toBe('again');
    expect(again.server).toMatchObject({ serverId: ROGUE, firstSeen: 1_000, lastSeen: 601_000, sightings: 4, via: ['client-port', 'probe'], sourceIps: [ROGUE], lastClientMac: CLIENT, lastOffered: '10.207.9.5' });
  });

  it('forgets a server silent for forgetAfterMs; it is new again when it returns', () => {
    const table = new RogueServerTable({ forgetAfterMs: 10_000 });
    table.record(sighting(ROGUE), 0);
    expect(table.list(9_999)).toHaveLength(1);
    expect(table.list(10_000)).toEqual([]);
    expect(table.record(sighting(ROGUE), 10_001).report).toBe('new');
  });

  it('is bounded: the server seen longest ago goes first; source addresses are capped', () => {
    const table = new RogueServerTable({ maxServers: 3, maxReportsPerInterval: 100 });
    for (let i = 1; i <= 4; i++) table.record(sighting(`10.207.9.${i}`), i);
    expect(table.list(10).map((s) => s.serverId)).toEqual(['10.207.9.4', '10.207.9.3', '10.207.9.2']);
    for (let i = 0; i < 20; i++) table.record(sighting('10.207.9.4', { sourceIp: `10.0.0.${i}` }), 20 + i);
    expect(table.list(100).find((s) => s.serverId === '10.207.9.4')!.sourceIps).toHaveLength(MAX_SOURCES);
  });

  it('caps reports over all servers, so spoofed identifiers cannot flood events and the log', () => {
    const table = new RogueServerTable({ maxReportsPerInterval: 5, reportIntervalMs: 60_000, maxServers: 1000 });
    const reports = Array.from({ length: 50 }, (_, i) => table.record(sighting(`10.1.${i >> 8}.${i & 255}`), 1_000 + i).report);
    expect(reports.filter((r) => r !== null)).toHaveLength(5);
    expect(table.suppressedReports).toBe(45);
    expect(table.list(2_000)).toHaveLength(50); // still remembered and counted
    expect(table.record(sighting('10.2.0.1'), 62_000).report).toBe('new'); // the window moved on
  });
});

describe('the probe DISCOVER', () => {
  it('is a relayed DISCOVER from the probe MAC: giaddr is xenboot, hops 1, no lease-taking option', () => {
    const packet = decodePacket(encodePacket(probeDiscover(PROBE, OWN, 0xdeadbeef), 300));
    expect(packet).toMatchObject({ op: Op.Request, htype: 1, hlen: 6, hops: 1, xid: 0xdeadbeef, flags: 0, ciaddr: '0.0.0.0', giaddr: OWN, type: MessageType.Discover });
    expect(packet.chaddr.subarray(0, 6).toString('hex')).toBe('027862000001');
    expect(packet.options.get(Opt.VendorClass)?.toString()).toBe(PROBE_VENDOR_CLASS);
    expect(packet.options.has(Opt.RequestedIp)).toBe(false);
    expect(packet.options.has(Opt.ServerId)).toBe(false);
  });
});

describe('RogueWatch.observe: the DHCP server hook', () => {
  const setup = (passive: 'off' | 'server-port' | 'client-port' = 'server-port') => {
    const events = new EventBus();
    const seen: BootEvent[] = [];
    events.subscribe((e) => seen.push(e));
    const warnings: Array<[Record<string, unknown>, string]> = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push([fields, message]) } as unknown as Logger;
    let now = 1_000;
    const watch = new RogueWatch({
      config: { passive, active: true, intervalSeconds: 300, probeMac: '02-78-62-00-00-01', allowedServers: [ALLOWED] },
      serverAddress: OWN,
      events,
      logger,
      now: () => now,
    });
    return { watch, seen, warnings, tick: (ms: number) => (now += ms) };
  };

  it('keeps the probe to itself: its own DISCOVER and the answers to it never reach the responder', () => {
    const { watch, seen } = setup();
    expect(watch.observe(probeDiscover(PROBE, OWN, 1), { address: OWN })).toBe(true);
    expect(seen).toEqual([]);
    const answer = reply(MessageType.Offer, { [Opt.ServerId]: ipBytes(ROGUE) }, { giaddr: OWN }, PROBE);
    expect(watch.observe(answer, { address: ROGUE })).toBe(true);
    expect(seen).toEqual([{ kind: 'dhcp-rogue', at: 1_000, serverId: ROGUE, sourceIp: ROGUE, messageType: 'OFFER', via: 'probe', clientMac: PROBE, yiaddr: '10.207.9.120', bootFile: 'evil.0', firstSeen: true, sightings: 1 }]);
  });

  it('passes client traffic on, reporting a server once as an event and one warning', () => {
    const { watch, seen, warnings, tick } = setup();
    const choosing = request({ type: MessageType.Request, mac: CLIENT, options: { [Opt.ServerId]: ipBytes(ROGUE) } });
    expect(watch.observe(choosing, { address: '0.0.0.0' })).toBe(false);
    tick(1_000);
    expect(watch.observe(choosing, { address: '0.0.0.0' })).toBe(false);
    expect(seen).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toMatchObject({ serverId: ROGUE, via: 'server-port', messageType: 'REQUEST', clientMac: CLIENT, sightings: 1 });
    expect(warnings[0]![1]).toBe('another DHCP server answers on the boot network');
    expect(watch.report().servers).toMatchObject([{ serverId: ROGUE, sightings: 2, firstSeen: 1_000, lastSeen: 2_000 }]);
    expect(watch.observe(request({ type: MessageType.Discover, mac: CLIENT }), { address: '0.0.0.0' })).toBe(false);
  });

  it('with passive off, only the probe reports', () => {
    const { watch, seen } = setup('off');
    watch.observe(request({ type: MessageType.Request, mac: CLIENT, options: { [Opt.ServerId]: ipBytes(ROGUE) } }), { address: '0.0.0.0' });
    expect(seen).toEqual([]);
    watch.observe(reply(MessageType.Offer, { [Opt.ServerId]: ipBytes(ROGUE) }, { giaddr: OWN }, PROBE), { address: ROGUE });
    expect(seen).toHaveLength(1);
  });
});

describe('dhcp.rogueDetection config', () => {
  const problems = (dhcp: Record<string, unknown>) => {
    const result = buildConfig({ server: { address: OWN }, dhcp }, { baseDir: '/tmp' });
    return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
  };
  const full = { mode: 'full', subnet: '10.207.9.0/24', ranges: [{ start: '10.207.9.100', end: '10.207.9.110' }] };

  it('defaults: passive on port 67, no client port, no probe', () => {
    const result = buildConfig({ dhcp: full }, { baseDir: '/tmp' });
    expect(result.ok && result.config.dhcp.rogueDetection).toEqual({ passive: 'server-port', active: false, intervalSeconds: 300, probeMac: '02:78:62:00:00:01', allowedServers: [] });
  });

  it('lists every cross-field problem at once', () => {
    expect(
      problems({
        ...full,
        reservations: [{ mac: '02:00:00:00:00:99', ip: '10.207.9.20' }],
        rogueDetection: { active: true, probeMac: '02-00-00-00-00-99', allowedServers: [OWN, ALLOWED, ALLOWED] },
      }),
    ).toEqual([
      'dhcp.rogueDetection.probeMac: 02:00:00:00:00:99 is reserved for a machine in dhcp.reservations[0]',
      `dhcp.rogueDetection.allowedServers[0]: ${OWN} is xenboot's own server.address (never reported anyway)`,
      `dhcp.rogueDetection.allowedServers[2]: ${ALLOWED} is already listed in allowedServers[1]`,
    ]);
    expect(problems({ rogueDetection: { active: true, passive: 'client-port', probeMac: '01:00:5e:00:00:01' } })).toEqual([
      'dhcp.rogueDetection.probeMac: 01:00:5e:00:00:01 is a multicast address; a DHCP client MAC is unicast',
      'dhcp.rogueDetection.probeMac: 01:00:5e:00:00:01 is a globally assigned (vendor) MAC; use a locally administered one (second-lowest bit of the first octet set, e.g. 02:78:62:00:00:01)',
      'dhcp.rogueDetection.active: probing needs the DHCP server (dhcp.mode full or proxy): the answers arrive on its port',
      'dhcp.rogueDetection.passive: client-port needs the DHCP server (dhcp.mode full or proxy)',
    ]);
  });

  it('schema problems name the key: unknown keys, bad values, an interval below 5 s', () => {
    const found = problems({ ...full, rogueDetection: { passive: 'yes', intervalSeconds: 1, probeMac: 'nope', allowedServers: ['10.0.0'], extra: 1 } });
    expect(found.join('\n')).toMatch(/dhcp\.rogueDetection\.passive/);
    expect(found.join('\n')).toMatch(/dhcp\.rogueDetection\.intervalSeconds/);
    expect(found.join('\n')).toMatch(/dhcp\.rogueDetection\.probeMac/);
    expect(found.join('\n')).toMatch(/dhcp\.rogueDetection\.allowedServers\[0\]/);
    expect(found.join('\n')).toMatch(/extra/);
  });
});
