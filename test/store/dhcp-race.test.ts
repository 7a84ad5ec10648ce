/**
 * Two `xenboot serve` processes with DHCP in full mode share one PostgreSQL and one pool of 10 addresses
 * on one broadcast domain (network namespaces this test creates, prefix `xbh`, 10.204.60.0/24); 50 PXE-style
 * clients start at once, each server hearing the DISCOVERs of half of them, so both allocate the same free
 * addresses at the same moment. No address may ever be
 * acknowledged to two MACs, and the lease table must hold exactly what was acknowledged.
 * The servers reach PostgreSQL through its Unix socket (the namespaces have their own loopback).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { Store } from '../../src/store/types.js';
import { attachToBridge, createBridge, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { testPostgresSocketUrl } from '../../lab/store/postgres.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { dropSchema, ensurePostgres, uniqueSchema } from './backends.js';
import type { ClientResult } from './dhcp-race-client.js';

const POOL = Array.from({ length: 10 }, (_, i) => `10.204.60.${100 + i}`);

describe('two xenboot DHCP servers on one PostgreSQL: the lease race', () => {
  const namespaces: Namespace[] = [];
  const servers: RunningProcess[] = [];
  const schema = uniqueSchema();
  let store: Store | undefined;

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root (network namespaces)');
    await requireCommands('ip');
    await ensurePostgres();
    // Migrate once up front, so the servers race on leases rather than on the schema.
    store = await openPostgresStore({ url: testPostgresSocketUrl, schema });
    const lan = await Namespace.create('xbhl');
    namespaces.push(lan);
    const bridge = await createBridge(lan);
    for (const [i, address] of ['10.204.60.1', '10.204.60.2'].entries()) {
      const ns = await Namespace.create(`xbh${i + 1}`);
      namespaces.push(ns);
      await attachToBridge(lan, bridge, ns, `${address}/24`);
      const config = writeTempConfig({
        log: { level: 'info', format: 'json' },
        server: { address },
        tftp: { enabled: false },
        http: { enabled: false },
        dhcp: { mode: 'full', subnet: '10.204.60.0/24', ranges: [{ start: POOL[0], end: POOL[9] }], offerHold: 60, leaseTime: 600 },
        store: { kind: 'postgres', url: testPostgresSocketUrl, schema, poolSize: 8 },
      });
      servers.push(await startXenboot(config, ns));
    }
    const client = await Namespace.create('xbhc');
    namespaces.push(client);
    const clientIf = await attachToBridge(lan, bridge, client, '10.204.60.250/24');
    // The crowd's socket is not bound to a device: give 255.255.255.255 a way out.
    await client.ip('route', 'add', 'default', 'dev', clientIf);
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await store?.close();
    for (const ns of namespaces.reverse()) await ns.delete();
    await dropSchema(schema);
  });

  it('50 clients, pool of 10, each server hearing half of them: every address acknowledged to one MAC at most, and the table agrees', async () => {
    const client = namespaces.at(-1)!;
    const args = ['--import', 'tsx', join(repoRoot, 'test', 'store', 'dhcp-race-client.ts'), '50', '02:00:00:00:60', '10.204.60.1,10.204.60.2'];
    const run = await client.exec(process.execPath, args, {
      cwd: repoRoot,
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ClientResult[];
    expect(results.length).toBe(50);

    const ackedTo = new Map<string, Set<string>>();
    for (const r of results) for (const ack of r.acks) ackedTo.set(ack.ip, (ackedTo.get(ack.ip) ?? new Set()).add(r.mac));
    for (const [ip, macs] of ackedTo) expect({ ip, macs: [...macs] }).toEqual({ ip, macs: [...macs].slice(0, 1) });
    for (const ip of ackedTo.keys()) expect(POOL).toContain(ip);
    // The pool was used up. (Which server won how many depends on scheduling: on a loaded machine one
    // server may lose every race, which is a correct outcome too.)
    expect(ackedTo.size).toBe(10);

    const bound = (await store!.leases.listLeases()).filter((l) => l.state === 'bound');
    expect(new Set(bound.map((l) => l.ip)).size).toBe(bound.length);
    expect(new Set(bound.map((l) => l.mac)).size).toBe(bound.length);
    // Every bound row is an acknowledged lease of that MAC.
    for (const lease of bound) expect(results.find((r) => r.mac === lease.mac)?.acks.map((a) => a.ip)).toContain(lease.ip);
  });
});
