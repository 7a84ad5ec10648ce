/**
 * Lease-claim throughput of the store backends, the operation the DHCP server performs per OFFER and per
 * ACK. Runs the same workload against SQLite (a file, WAL, synchronous=NORMAL), PostgreSQL
 * (XENBOOT_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test) and, for scale, the in-memory
 * Map store used by unit tests, in one run; prints claims and DHCP exchanges (OFFER + ACK) per second and
 * each backend's ratio to SQLite, the default. There is no third-party lease database to compare with;
 * the end-to-end comparison with dnsmasq is the boot-storm benchmark.
 *
 * Workload per backend: `count` distinct MACs each claim an address (OFFER) and claim it again as bound
 * (ACK): 2 × count claims; first one client at a time, then `concurrency` in flight.
 *
 *   npx tsx bench/store/claim-lease.ts [count=5000] [concurrency=32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intToIp, ipToInt } from '../../src/net/ipv4.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { dropSchemas, testPostgresUrl } from '../../lab/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { LeaseStore } from '../../src/store/types.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const count = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 32);
const pgUrl = testPostgresUrl;

const mac = (i: number) => `02:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255, 1].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
const ip = (i: number) => intToIp(ipToInt('10.200.0.0') + i);

/** OFFER then ACK for client `i`; throws if the store refuses (it must not: every client has its own address). */
async function exchange(leases: LeaseStore, i: number, base: number): Promise<void> {
  const now = Date.now();
  for (const [state, hold] of [['offered', 30_000], ['bound', 3_600_000]] as const) {
    const ok = await leases.claimLease({ mac: mac(base + i), ip: ip(base + i), state, expiresAt: now + hold, updatedAt: now }, now);
    if (!ok) throw new Error(`claim refused for client ${base + i}`);
  }
}

async function measure(leases: LeaseStore, base: number, inFlight: number): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await exchange(leases, next++, base);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (2 * count) / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-store-'));
  const schema = `xbbench_${process.pid}`;
  const sqlite = openSqliteStore(join(dir, 'bench.db'));
  const postgres = await openPostgresStore({ url: pgUrl, schema, poolSize: concurrency });
  const backends: Array<[string, LeaseStore]> = [
    ['memory (Map)', createMemoryLeaseStore()],
    ['sqlite (file, WAL)', sqlite.leases],
    ['postgresql (localhost)', postgres.leases],
  ];
  const rows: Array<[string, number, number]> = [];
  try {
    for (const [name, leases] of backends) {
      const sequential = await measure(leases, 0, 1);
      const parallel = await measure(leases, count, concurrency);
      rows.push([name, sequential, parallel]);
    }
  } finally {
    await sqlite.close();
    await dropSchemas([schema], pgUrl);
    await postgres.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const [, sqliteSeq, sqlitePar] = rows[1]!;
  console.log(`claimLease throughput, ${2 * count} claims per run (${count} OFFER+ACK exchanges); Node ${process.version}`);
  console.log(`backend                  | 1 in flight: claims/s  exchanges/s  vs sqlite | ${concurrency} in flight: claims/s  exchanges/s  vs sqlite`);
  for (const [name, seq, par] of rows) {
    const cell = (rate: number, ref: number) => `${rate.toFixed(0).padStart(8)}  ${(rate / 2).toFixed(0).padStart(11)}  ${(rate / ref).toFixed(2).padStart(9)}`;
    console.log(`${name.padEnd(24)} |          ${cell(seq, sqliteSeq)} |           ${cell(par, sqlitePar)}`);
  }
}

await main();
