import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildSubnets } from '../../../src/dhcp/subnets.js';
import { LeaseTable } from '../../../src/dhcp/leases.js';
import { haPoolShares, startHaMember } from '../../../src/dhcp/ha/member.js';
import { bucketOfMac } from '../../../src/dhcp/ha/load-balance.js';
import { Opt } from '../../../src/dhcp/options.js';
import { MessageType, type DhcpPacket } from '../../../src/dhcp/packet.js';
import type { DhcpConfig } from '../../../src/dhcp/config.js';
import type { HeartbeatRow, HeartbeatStore } from '../../../src/store/types.js';
import { silentLogger } from '../../../src/log.js';
import { createMemoryLeaseStore } from '../../../lab/store/memory-leases.js';

const ha = { self: 'a', peers: [{ name: 'a', address: '10.211.0.1' }, { name: 'b', address: '10.211.0.2' }], heartbeatSeconds: 1, takeoverSeconds: 3 };

/** A heartbeat table in memory; `stopped` peers no longer beat (their process died). */
function memoryHeartbeats(): HeartbeatStore & { peerBeats(name: string): void } {
  const rows = new Map<string, HeartbeatRow>();
  const bump = (name: string, now: number) => rows.set(name, { name, beats: (rows.get(name)?.beats ?? 0) + 1, at: now });
  return {
    async beat(name, now) {
      bump(name, now);
      return [...rows.values()].map((r) => ({ ...r }));
    },
    peerBeats: (name) => bump(name, Date.now()),
  };
}

/** A MAC whose bucket belongs to peer `index` of two (found by trying). */
function macOfPeer(index: number, skip = 0): string {
  let found = 0;
  for (let i = 1; i < 1000; i++) {
    const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    if (bucketOfMac(mac) % 2 === index && found++ === skip) return mac;
  }
  throw new Error('no MAC found');
}

function request(mac: string, type: number, options: Map<number, Buffer> = new Map()): DhcpPacket {
  return { op: 1, htype: 1, hlen: 6, hops: 0, xid: 1, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: Buffer.from(mac.replaceAll(':', '').padEnd(32, '0'), 'hex'), sname: '', file: '', type, options } as unknown as DhcpPacket;
}

describe('two-instance member (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers its half, takes over the peer’s clients after the takeover time, gives them back at its first beat', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const beats = memoryHeartbeats();
    const changes: string[] = [];
    const member = await startHaMember({ config: ha, heartbeats: beats, serverAddresses: ['10.211.0.1'], logger: silentLogger(), onChange: async (c) => void changes.push(JSON.stringify(c)) });
    const mine = request(macOfPeer(0), MessageType.Discover);
    const theirs = request(macOfPeer(1), MessageType.Discover);
    // b beats along for 10 s.
    for (let s = 0; s < 10; s++) {
      beats.peerBeats('b');
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(member.answers(mine, macOfPeer(0), false)).toBe(true);
    expect(member.answers(theirs, macOfPeer(1), false)).toBe(false);
    expect(member.stats.peersRequests).toBe(1);
    // b dies: within takeoverSeconds + 2 heartbeats its clients are answered here.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(member.answers(theirs, macOfPeer(1), false)).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(member.answers(theirs, macOfPeer(1), false)).toBe(true);
    expect(changes).toEqual([JSON.stringify({ down: ['b'], up: [] })]);
    expect(member.upPeers()).toEqual(['a']);
    // b returns.
    beats.peerBeats('b');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(member.answers(theirs, macOfPeer(1), false)).toBe(false);
    expect(changes.at(-1)).toBe(JSON.stringify({ down: [], up: ['b'] }));
    expect(member.stats).toMatchObject({ takeovers: 1, handbacks: 1 });
    await member.close();
  });

  it('reports who is up and how many buckets it answers: its half, all 256 after a takeover, its half again', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const beats = memoryHeartbeats();
    const member = await startHaMember({ config: ha, heartbeats: beats, serverAddresses: ['10.211.0.1'], logger: silentLogger(), onChange: async () => {} });
    const ownBuckets = Array.from({ length: 256 }, (_, b) => b).filter((b) => b % 2 === 0).length;
    for (let s = 0; s < 4; s++) {
      beats.peerBeats('b');
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(member.status()).toMatchObject({ self: 'a', peers: [{ name: 'a', up: true }, { name: 'b', up: true }], answeringBuckets: ownBuckets, fenced: false });
    expect(member.status().heartbeatAgeMs).toBeLessThanOrEqual(1_000);
    await vi.advanceTimersByTimeAsync(5_000); // b silent past the takeover time
    expect(member.status()).toMatchObject({ peers: [{ name: 'a', up: true }, { name: 'b', up: false }], answeringBuckets: 256 });
    beats.peerBeats('b');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(member.status()).toMatchObject({ peers: [{ name: 'a', up: true }, { name: 'b', up: true }], answeringBuckets: ownBuckets });
    await member.close();
  });

  it('answers a peer’s client that chose this server (option 54) or talks to it directly, never one relayed or broadcast', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const beats = memoryHeartbeats();
    beats.peerBeats('b');
    const member = await startHaMember({ config: ha, heartbeats: beats, serverAddresses: ['10.211.0.1'], logger: silentLogger(), onChange: async () => {} });
    const mac = macOfPeer(1);
    const chose = (server: string) => request(mac, MessageType.Request, new Map([[Opt.ServerId, Buffer.from(server.split('.').map(Number))]]));
    expect(member.answers(chose('10.211.0.1'), mac, false)).toBe(true);
    expect(member.answers(chose('10.211.0.2'), mac, false)).toBe(false);
    const renew = { ...request(mac, MessageType.Request), ciaddr: '10.211.1.9' } as DhcpPacket;
    expect(member.answers(renew, mac, true)).toBe(true);
    expect(member.answers({ ...renew, giaddr: '10.211.9.1' } as DhcpPacket, mac, true)).toBe(false);
    await member.close();
  });

  it('a store that fails is no reason to take over; an instance whose own heartbeat is older than the takeover time answers nobody', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let failing = false;
    const inner = memoryHeartbeats();
    const beats: HeartbeatStore = { beat: async (name, now) => { if (failing) throw new Error('connection refused'); return inner.beat(name, now); } };
    const member = await startHaMember({ config: ha, heartbeats: beats, serverAddresses: ['10.211.0.1'], logger: silentLogger(), onChange: async () => {} });
    inner.peerBeats('b');
    await vi.advanceTimersByTimeAsync(1_000);
    failing = true;
    const mine = request(macOfPeer(0), MessageType.Discover);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(member.answers(mine, macOfPeer(0), false)).toBe(true);
    await vi.advanceTimersByTimeAsync(28_000);
    expect(member.upPeers()).toEqual(['a', 'b']);
    expect(member.stats.heartbeatFailures).toBe(30);
    // Its own heartbeat is older than the takeover time: b has its clients by now, so it answers nobody.
    expect(member.answers(mine, macOfPeer(0), false)).toBe(false);
    expect(member.stats.fenced).toBe(1);
    failing = false;
    inner.peerBeats('b');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(member.upPeers()).toEqual(['a', 'b']);
    expect(member.answers(mine, macOfPeer(0), false)).toBe(true);
    await member.close();
  });
});

describe('pool split between two instances', () => {
  it('gives each peer’s clients new addresses from its own slice, and accepts any slice’s address as dynamic', async () => {
    const config = { subnet: '10.211.0.0/16', ranges: [{ start: '10.211.1.0', end: '10.211.1.99' }], relaySubnets: [], dns: [], ntp: [] } as unknown as DhcpConfig;
    const [subnet] = buildSubnets(config);
    const table = new LeaseTable(createMemoryLeaseStore(), [subnet!], new Map(), ['10.211.0.1'], true, undefined, haPoolShares(ha));
    const now = 1_000_000;
    const first = await table.allocate(subnet!, macOfPeer(0), [], now + 30_000, now);
    const second = await table.allocate(subnet!, macOfPeer(1), [], now + 30_000, now);
    expect(first).toEqual({ ok: true, ip: '10.211.1.0' });
    expect(second).toEqual({ ok: true, ip: '10.211.1.50' });
    expect(table.isDynamic(subnet!, '10.211.1.99')).toBe(true);
    expect(table.isDynamic(subnet!, '10.211.1.100')).toBe(false);
    // Peer 0's slice (50 addresses) fills with peer 0's clients only; then they borrow from peer 1's.
    for (let i = 1; i < 50; i++) expect(await table.allocate(subnet!, macOfPeer(0, i), [], now + 30_000, now)).toEqual({ ok: true, ip: `10.211.1.${i}` });
    expect(await table.allocate(subnet!, macOfPeer(1, 1), [], now + 30_000, now)).toEqual({ ok: true, ip: '10.211.1.51' });
    expect(await table.allocate(subnet!, macOfPeer(0, 50), [], now + 30_000, now)).toEqual({ ok: true, ip: '10.211.1.52' });
    expect(table.poolUsage(now)).toEqual([{ pool: '10.211.0.0/16', size: 100, used: 53 }]);
    for (let i = 51; i < 98; i++) expect((await table.allocate(subnet!, macOfPeer(0, i), [], now + 30_000, now)).ok).toBe(true);
    expect(await table.allocate(subnet!, macOfPeer(0, 98), [], now + 30_000, now)).toEqual({ ok: false, reason: 'pool full' });
  });
});
