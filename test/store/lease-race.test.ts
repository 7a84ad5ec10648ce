/**
 * The allocation race: two xenboot instances (separate processes, separate connection pools) share one
 * PostgreSQL and a pool of 10 addresses; 50 clients (25 per instance) claim at the same moment. No
 * address may ever be granted to two MACs, and the pool must be used to the last address.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { runCommand } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { dropSchema, ensurePostgres, testPostgresUrl, uniqueSchema } from './backends.js';
import { allocate, clientMac, poolAddresses } from './race-worker.js';

const POOL = poolAddresses('10.204.2.1', 10);

function checkOutcome(grants: Array<readonly [string, string]>, rows: Array<{ mac: string; ip: string }>) {
  const holders = new Map<string, Set<string>>();
  for (const [mac, ip] of grants) holders.set(ip, (holders.get(ip) ?? new Set()).add(mac));
  for (const [ip, macs] of holders) expect([ip, [...macs]]).toEqual([ip, [...macs].slice(0, 1)]);
  expect(grants.length).toBe(10);
  expect(new Set(grants.map(([, ip]) => ip))).toEqual(new Set(POOL));
  expect(new Set(grants.map(([mac]) => mac)).size).toBe(10);
  expect(rows.map((r) => `${r.ip}=${r.mac}`).sort()).toEqual(grants.map(([mac, ip]) => `${ip}=${mac}`).sort());
}

describe('lease race on one PostgreSQL', () => {
  const schemas: string[] = [];
  beforeAll(async () => {
    await ensurePostgres();
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('two processes, pool of 10, 50 clients: every address granted once, to one MAC', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    // Create the schema first so both workers race on leases, not on migrations.
    const store = await openPostgresStore({ url: testPostgresUrl, schema });
    const startAt = Date.now() + 3_000;
    const worker = join(repoRoot, 'test', 'store', 'race-worker.ts');
    const runs = await Promise.all(
      [1, 2].map((instance) =>
        runCommand(process.execPath, ['--import', 'tsx', worker, testPostgresUrl, schema, String(startAt), String(instance), '25', POOL[0]!, '10'], {
          cwd: repoRoot,
          timeoutMs: 60_000,
        }),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const grants = runs.flatMap((run) => (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { won: Array<[string, string]> }).won);
    const rows = await store.leases.listLeases();
    await store.close();
    checkOutcome(grants, rows);
  });

  it('two store instances in one process, 50 concurrent clients: same guarantee', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const first = await openPostgresStore({ url: testPostgresUrl, schema, poolSize: 10 });
    const second = await openPostgresStore({ url: testPostgresUrl, schema, poolSize: 10 });
    const now = Date.now();
    const grants = (
      await Promise.all(
        Array.from({ length: 50 }, async (_, n) => {
          const instance = n % 2 === 0 ? first : second;
          const mac = clientMac(n % 2, n);
          return [mac, await allocate(instance.leases, mac, POOL, now)] as const;
        }),
      )
    ).filter((g): g is readonly [string, string] => g[1] !== null);
    const rows = await first.leases.listLeases();
    await first.close();
    await second.close();
    checkOutcome(grants, rows);
  });
});
