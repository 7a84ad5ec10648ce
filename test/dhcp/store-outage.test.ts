/**
 * A store outage under DHCP load (issue 17, item 2): every DISCOVER whose store write fails must give its
 * address back, so that once the store answers again the whole pool is there. Run against a store that
 * fails on demand, and against PostgreSQL behind a TCP proxy the test cuts (the real server keeps running:
 * other tests use it).
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/dhcp/packet.js';
import { respond } from '../../src/dhcp/responder.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { LeaseStore, Store } from '../../src/store/types.js';
import { dropSchema, ensurePostgres, uniqueSchema } from '../store/backends.js';
import { dhcpConfig, labDhcp, request, responderContext } from './requests.js';

const dhcp = { address: '0.0.0.0', port: 68, via: 'dhcp' as const };
const POOL = 10;
const config = dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: `10.202.5.${100 + POOL - 1}` }] });
const mac = (group: number, i: number) => `02:00:00:${group.toString(16).padStart(2, '0')}:00:${i.toString(16).padStart(2, '0')}`;

/** Sends one DISCOVER per MAC; counts offers and failures (a failed store write rejects `respond`). */
async function discoverAll(ctx: Awaited<ReturnType<typeof responderContext>>, group: number, count: number) {
  let offers = 0;
  let failures = 0;
  for (let i = 0; i < count; i++) {
    try {
      const outcome = await respond(request({ type: MessageType.Discover, mac: mac(group, i) }), dhcp, ctx.context());
      if (outcome.reply?.packet.type === MessageType.Offer) offers += 1;
    } catch {
      failures += 1;
    }
  }
  return { offers, failures };
}

describe('a store outage gives every failed address back to the pool', () => {
  it('with a store that fails on demand', async () => {
    const inner = createMemoryLeaseStore();
    let down = false;
    const store: LeaseStore = {
      ...inner,
      claimLease: async (lease, now) => {
        if (down) throw new Error('store unreachable');
        return inner.claimLease(lease, now);
      },
    };
    const ctx = await responderContext(config, store);
    down = true;
    expect(await discoverAll(ctx, 1, 3 * POOL)).toEqual({ offers: 0, failures: 3 * POOL });
    down = false;
    expect(await discoverAll(ctx, 2, POOL)).toEqual({ offers: POOL, failures: 0 });
  });
});

/** A TCP proxy to PostgreSQL that the test can cut (closing every connection, refusing new ones) and restore. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('PostgreSQL cut off mid-load', () => {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    cleanup = [];
  });

  it('after the outage DHCP offers the whole pool again', { timeout: 60_000 }, async () => {
    await ensurePostgres();
    const proxy = new CuttableProxy();
    await proxy.start();
    cleanup.push(() => proxy.cut());
    const schema = uniqueSchema();
    cleanup.push(() => dropSchema(schema));
    const store: Store = await openPostgresStore({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema, poolSize: 2 });
    cleanup.push(() => store.close());
    const ctx = await responderContext(config, store.leases);

    const before = await discoverAll(ctx, 1, 3);
    expect(before).toEqual({ offers: 3, failures: 0 });
    await proxy.cut();
    const during = await discoverAll(ctx, 2, 3 * POOL);
    expect(during.failures).toBe(3 * POOL);
    await proxy.start();
    // The three offers made before the cut still hold their addresses until they expire (30 s).
    const after = await discoverAll(ctx, 3, POOL);
    expect(after).toEqual({ offers: POOL - 3, failures: 0 });
    ctx.clock.now += 31_000;
    expect(await discoverAll(ctx, 4, POOL)).toEqual({ offers: POOL, failures: 0 });
  });
});
