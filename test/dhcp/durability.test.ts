/**
 * Durability: xenboot under perfdhcp load is killed with SIGKILL; every ACK seen on the wire must be in
 * the store after restart, and the restarted server must not hand those addresses to others. Both stores
 * and both `store.durability` settings are run: SQLite `process` (WAL, synchronous=NORMAL) and `power`
 * (synchronous=FULL), PostgreSQL `process` (synchronous_commit=off) and `power` (on), each with lease
 * claims group-committed (SQLite `GroupCommit`, PostgreSQL `PostgresClaimBatcher`).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket, MessageType } from '../../src/dhcp/packet.js';
import { macFromBytes } from '../../src/net/mac.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Durability, Store } from '../../src/store/types.js';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { testPostgresSocketUrl } from '../../lab/store/postgres.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { dropSchema, ensurePostgres, uniqueSchema } from '../store/backends.js';
import { readPcapDhcp } from './pcap.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ACKs in a capture: MAC → address. */
function ackedLeases(pcap: string): Map<string, string> {
  const acked = new Map<string, string>();
  if (!existsSync(pcap)) return acked;
  for (const d of readPcapDhcp(pcap)) {
    try {
      const packet = decodePacket(d.payload);
      if (packet.type === MessageType.Ack && packet.yiaddr !== '0.0.0.0') acked.set(macFromBytes(packet.chaddr), packet.yiaddr);
    } catch {
      /* a truncated last packet */
    }
  }
  return acked;
}

const cases: Array<{ kind: 'sqlite' | 'postgres'; durability: Durability }> = [
  { kind: 'sqlite', durability: 'process' },
  { kind: 'sqlite', durability: 'power' },
  { kind: 'postgres', durability: 'process' },
  { kind: 'postgres', durability: 'power' },
];

describe.each(cases)('lease durability across SIGKILL ($kind, store.durability: $durability)', ({ kind, durability }) => {
  let server: Namespace;
  let client: Namespace;
  let clientIf: string;
  let dir: string;
  let config: string;
  let xenboot: RunningProcess | undefined;
  const schema = uniqueSchema();
  const openStore = (): Promise<Store> | Store =>
    kind === 'postgres' ? openPostgresStore({ url: testPostgresSocketUrl, schema, poolSize: 1 }) : openSqliteStore(join(dir, 'xenboot.db'));

  beforeAll(async () => {
    await requireCommands('ip', 'perfdhcp', 'tcpdump');
    if (kind === 'postgres') await ensurePostgres();
    server = await Namespace.create('xbd');
    client = await Namespace.create('xbd');
    [, clientIf] = await connect(server, '10.202.64.1/18', client, '10.202.64.2/18');
    dir = mkdtempSync(join(tmpdir(), 'xenboot-dhcp-durable-'));
    config = writeTempConfig(
      {
        server: { address: '10.202.64.1' },
        log: { level: 'info', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: kind === 'postgres' ? { kind, url: testPostgresSocketUrl, schema, durability } : { kind, path: join(dir, 'xenboot.db'), durability },
        dhcp: { mode: 'full', subnet: '10.202.64.0/18', ranges: [{ start: '10.202.64.10', end: '10.202.127.250' }] },
      },
      dir,
    );
  });

  afterAll(async () => {
    await xenboot?.stop('SIGTERM', 3_000);
    await client?.delete();
    await server?.delete();
    if (kind === 'postgres') await dropSchema(schema);
  });

  const load = async (pcap: string, macBase: string, runMs: number, killServer: boolean) => {
    const capture = client.spawn('tcpdump', ['-i', clientIf, '-U', '-w', pcap, 'udp and src port 67']);
    await capture.waitFor(/listening on/, 10_000);
    const perf = client.spawn('perfdhcp', ['-4', '-l', clientIf, '-r', '400', '-R', '100000', '-p', String(Math.ceil(runMs / 1000) + 5), '-b', `mac=${macBase}`]);
    await sleep(runMs);
    if (killServer) await xenboot!.stop('SIGKILL', 1_000);
    await sleep(500);
    await perf.stop('SIGTERM', 3_000);
    await capture.stop('SIGTERM', 3_000);
    return ackedLeases(pcap);
  };

  it('every ACKed lease is in the store after kill -9 and restart, and is not handed to another MAC', async () => {
    xenboot = await startXenboot(config, server);
    const acked = await load(join(dir, 'before.pcap'), '00:0c:01:00:00:00', 4_000, true);
    expect(acked.size, 'ACKs seen before the kill').toBeGreaterThan(20);

    xenboot = await startXenboot(config, server);
    const store = await openStore();
    try {
      const now = Date.now();
      const missing: string[] = [];
      for (const [mac, ip] of acked) {
        const lease = await store.leases.getLeaseByIp(ip);
        if (!lease || lease.mac !== mac || lease.state !== 'bound' || lease.expiresAt <= now) missing.push(`${mac} ${ip} → ${JSON.stringify(lease)}`);
      }
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }

    const ackedIps = new Set(acked.values());
    const after = await load(join(dir, 'after.pcap'), '00:0c:02:00:00:00', 3_000, false);
    expect(after.size, 'ACKs seen after the restart').toBeGreaterThan(5);
    const reused = [...after].filter(([, ip]) => ackedIps.has(ip));
    expect(reused).toEqual([]);
  });
});
