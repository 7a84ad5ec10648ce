/**
 * One "xenboot instance" in the lease race: opens the PostgreSQL store, waits for the common start time,
 * then lets each of its clients claim the first address of the pool it can get (every client tries the
 * addresses in the same order, which maximises collisions). Prints one JSON line: `{ "won": [[mac, ip]…] }`.
 *
 * argv: url schema startAtMs instanceIndex clientCount poolFirst(10.204.x.y) poolSize
 */
import { intToIp, ipToInt } from '../../src/net/ipv4.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { LeaseStore } from '../../src/store/types.js';

/** Claims the first free address in `pool` for `mac`; returns it or null when the pool is full. */
export async function allocate(leases: LeaseStore, mac: string, pool: string[], now: number): Promise<string | null> {
  for (const ip of pool) {
    if (await leases.claimLease({ mac, ip, state: 'bound', expiresAt: now + 3_600_000, updatedAt: now }, now)) return ip;
  }
  return null;
}

/** The addresses of a pool, in order. */
export function poolAddresses(first: string, size: number): string[] {
  return Array.from({ length: size }, (_, i) => intToIp(ipToInt(first) + i));
}

/** The MAC of client `n` of instance `instance`. */
export function clientMac(instance: number, n: number): string {
  return `02:00:00:00:${instance.toString(16).padStart(2, '0')}:${n.toString(16).padStart(2, '0')}`;
}

async function main(): Promise<void> {
  const [url, schema, startAt, instance, clients, first, size] = process.argv.slice(2);
  const store = await openPostgresStore({ url: url!, schema: schema!, poolSize: 10 });
  const pool = poolAddresses(first!, Number(size));
  const wait = Number(startAt) - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = Date.now();
  const results = await Promise.all(
    Array.from({ length: Number(clients) }, async (_, n) => {
      const mac = clientMac(Number(instance), n);
      return [mac, await allocate(store.leases, mac, pool, now)] as const;
    }),
  );
  await store.close();
  process.stdout.write(`${JSON.stringify({ won: results.filter(([, ip]) => ip !== null) })}\n`);
}

if (process.argv[1]?.endsWith('race-worker.ts')) await main();
