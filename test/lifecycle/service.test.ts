/**
 * The lifecycle service against both stores: actions armed and consumed through the store's conditional
 * writes, the overrides the boot path gets, signed callbacks (unsigned, forged, foreign, replayed ones
 * refused and audited), and two instances on one database racing to consume one action: exactly one
 * `consumed` in the audit trail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { LifecycleService } from '../../src/lifecycle/service.js';
import { signCallback } from '../../src/lifecycle/callback-token.js';
import type { Profile } from '../../src/inventory/model.js';
import type { NextBootOverride } from '../../src/inventory/snapshot.js';
import type { Store } from '../../src/store/types.js';
import type { BootEvent, LifecycleEvent } from '../../src/timeline/types.js';
import { backends } from '../store/backends.js';

const HOST = '52:54:00:30:00:02';
const OTHER = '52:54:00:30:00:03';
const RESCUE: Profile = { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: ['console=ttyS0'] } as Profile;
const DISK: Profile = { name: 'disk', kind: 'localboot' } as Profile;

function service(store: Store, clock: { t: number }, sink: { overrides: ReadonlyMap<string, NextBootOverride> }, ids = { n: 0 }) {
  return new LifecycleService({
    store: store.lifecycle,
    profile: (name) => ({ rescue: RESCUE, disk: DISK })[name as 'rescue' | 'disk'],
    isHost: (mac) => mac === HOST || mac === OTHER,
    applyOverrides: (o) => (sink.overrides = o),
    publicUrl: 'http://10.205.30.1:8080',
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
    newBootId: () => `b${(ids.n += 1)}`,
  });
}

const tftp = (file: string, outcome: 'complete' | 'timeout', at: number): BootEvent => ({
  kind: 'tftp', at, mac: HOST, ip: '10.205.30.100', port: 2000, serverIp: '10.205.30.1', file, outcome, bytes: 100, size: 100, blksize: 1408, windowsize: 1, durationMs: 5, retransmits: 0, sendBufferFull: 0,
});

async function settle(svc: LifecycleService, mac = HOST): Promise<void> {
  // observe() is fire-and-forget; wait until the per-MAC chain has drained.
  for (let i = 0; i < 50; i += 1) {
    await new Promise((r) => setTimeout(r, 10));
    if (!(svc as unknown as { chains: Map<string, unknown> }).chains.has(mac)) return;
  }
}

async function auditOf(store: Store, mac = HOST): Promise<LifecycleEvent[]> {
  return (await store.events.listEvents({ mac })).filter((e): e is LifecycleEvent => e.kind === 'lifecycle');
}

describe.each(backends)('lifecycle service on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('arms once, hands the boot path the profile with its callback URL, and consumes it from TFTP evidence', async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    const clock = { t: 1_000 };
    const sink = { overrides: new Map() as ReadonlyMap<string, NextBootOverride> };
    const svc = service(opened.store, clock, sink);
    await svc.start();
    const armed = await svc.arm(HOST, { kind: 'once', profile: 'rescue' }, 'api');
    expect(armed.state).toBe('pending');
    const override = sink.overrides.get(HOST);
    expect(override).toMatchObject({ kind: 'profile', profile: 'rescue' });
    const arg = override?.kind === 'profile' ? override.extraArgs[0]! : '';
    expect(arg).toMatch(/^xenboot\.callback=http:\/\/10\.205\.30\.1:8080\/api\/v1\/lifecycle\/callback\/52-54-00-30-00-02\/b1\/[A-Za-z0-9_-]{43}$/);

    clock.t = 2_000;
    svc.observe(tftp('rescue/vmlinuz', 'complete', 2_000));
    await settle(svc);
    expect(svc.record(HOST).state).toBe('booting');
    expect(sink.overrides.has(HOST)).toBe(true);
    clock.t = 3_000;
    svc.observe(tftp('/rescue/initrd.img', 'complete', 3_000));
    await settle(svc);
    expect(svc.record(HOST).state).toBe('idle');
    expect(sink.overrides.has(HOST)).toBe(false);

    const audit = await auditOf(opened.store);
    expect(audit.map((e) => `${e.change} ${e.from}->${e.to} by ${e.by}`)).toEqual(['armed idle->pending by api', 'booting pending->booting by evidence', 'consumed booting->idle by evidence']);
    expect(audit[0]).toMatchObject({ at: 1_000, action: 'once: rescue', bootId: 'b1' });
    expect(audit[2]!.at).toBe(3_000);
  });

  it('refuses unsigned, forged, foreign and replayed callbacks, and audits each refusal', async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    const clock = { t: 10_000 };
    const sink = { overrides: new Map() as ReadonlyMap<string, NextBootOverride> };
    const svc = service(opened.store, clock, sink);
    await svc.start();
    await svc.arm(HOST, { kind: 'once', profile: 'rescue' }, 'api');
    await svc.arm(OTHER, { kind: 'once', profile: 'rescue' }, 'api');
    const url = (mac: string) => {
      const o = sink.overrides.get(mac);
      return o?.kind === 'profile' ? o.extraArgs[0]!.replace(/^xenboot\.callback=/, '') : '';
    };
    const [hostBoot, hostSig] = url(HOST).split('/').slice(-2);
    const [otherBoot, otherSig] = url(OTHER).split('/').slice(-2);
    const call = (bootId: string, signature: string | undefined, status: 'done' | 'failed' = 'done') => svc.callback({ mac: HOST, bootId: bootId!, signature, status, from: '10.205.30.100' });

    expect(await call(hostBoot!, undefined)).toMatchObject({ accepted: false, refused: 'unsigned' });
    expect(await call(hostBoot!, 'A'.repeat(43))).toMatchObject({ accepted: false, refused: 'bad-signature' });
    // OTHER's valid signature, presented for HOST: bound to the other MAC.
    expect(await call(otherBoot!, otherSig!)).toMatchObject({ accepted: false, refused: 'bad-signature' });
    expect(svc.record(HOST).state).toBe('pending');

    const accepted = await svc.callback({ mac: HOST, bootId: hostBoot!, signature: hostSig!, status: 'done', message: 'rescue ran', from: '10.205.30.100' });
    expect(accepted).toMatchObject({ accepted: true });
    expect(svc.record(HOST)).toMatchObject({ state: 'idle', result: { outcome: 'done', message: 'rescue ran' } });
    expect(await call(hostBoot!, hostSig!)).toMatchObject({ accepted: false, refused: 'replay' });
    expect(svc.record(OTHER).state).toBe('pending');

    const audit = await auditOf(opened.store);
    expect(audit.filter((e) => e.change === 'refused').map((e) => e.message?.split(':')[0])).toEqual(['unsigned', 'bad-signature', 'bad-signature', 'replay']);
    expect(audit.filter((e) => e.change === 'refused').every((e) => e.by === 'callback from 10.205.30.100')).toBe(true);
    expect(audit.filter((e) => e.change === 'callback')).toHaveLength(1);
    // A signature made with another key (another installation) does not verify either.
    expect(await call(hostBoot!, signCallback('another-key', HOST, hostBoot!))).toMatchObject({ refused: 'bad-signature' });
  });

  it('refuses actions for unknown hosts and profiles, and localboot as a one-shot', async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    const svc = service(opened.store, { t: 1 }, { overrides: new Map() });
    await svc.start();
    await expect(svc.arm('52:54:00:99:99:99', { kind: 'once', profile: 'rescue' }, 'api')).rejects.toThrow(/not a host/);
    await expect(svc.arm(HOST, { kind: 'once', profile: 'nope' }, 'api')).rejects.toThrow(/does not exist/);
    await expect(svc.arm(HOST, { kind: 'once', profile: 'disk' }, 'api')).rejects.toThrow(/netboot: disabled/);
  });

  it('two instances on one database: the action is consumed once, and the other instance learns it', async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    const second = await opened.reopen();
    const clock = { t: 5_000 };
    const ids = { n: 0 };
    const sinkA = { overrides: new Map() as ReadonlyMap<string, NextBootOverride> };
    const sinkB = { overrides: new Map() as ReadonlyMap<string, NextBootOverride> };
    // Count the conditional writes that lost: the race must really happen for the test to mean anything.
    // While `gate` is set, the first write of each instance waits for the other's (at most 5 s), so both
    // have read the same version before either writes.
    let lost = 0;
    let gate: { waiting: number; open: () => void; opened: Promise<void> } | null = null;
    const counting = (store: Store): Store => ({
      ...store,
      lifecycle: {
        ...store.lifecycle,
        put: async (row, audit) => {
          if (gate !== null && gate.waiting < 2) {
            gate.waiting += 1;
            if (gate.waiting === 2) gate.open();
            await Promise.race([gate.opened, new Promise((r) => setTimeout(r, 5_000))]);
          }
          const won = await store.lifecycle.put(row, audit);
          if (!won) lost += 1;
          return won;
        },
      },
    });
    const a = service(counting(opened.store), clock, sinkA, ids);
    const b = service(counting(second), clock, sinkB, ids);
    await a.start();
    await b.start();
    await a.arm(HOST, { kind: 'once', profile: 'rescue' }, 'api');
    await b.reloadIfChanged();
    expect(sinkB.overrides.get(HOST)).toMatchObject({ profile: 'rescue' });
    // The callback URL (key and boot) is the same on both instances.
    expect(sinkB.overrides.get(HOST)).toEqual(sinkA.overrides.get(HOST));

    // Both instances see the whole boot (as when one served the kernel and the other the initrd, and each
    // saw both ends), in an interleaving that makes them race for every write.
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    gate = { waiting: 0, open: release, opened: released };
    for (const svc of [a, b]) svc.observe(tftp('rescue/vmlinuz', 'complete', 5_001));
    for (const svc of [a, b]) svc.observe(tftp('rescue/initrd.img', 'complete', 5_002));
    await Promise.all([settle(a), settle(b)]);
    await b.reloadIfChanged();
    await a.reloadIfChanged();
    expect(a.record(HOST).state).toBe('idle');
    expect(b.record(HOST).state).toBe('idle');
    expect(sinkA.overrides.has(HOST)).toBe(false);
    expect(sinkB.overrides.has(HOST)).toBe(false);
    const audit = await auditOf(opened.store);
    expect(audit.filter((e) => e.change === 'consumed')).toHaveLength(1);
    expect(lost, 'no write lost a race: the instances did not race').toBeGreaterThan(0);
    expect(audit.filter((e) => e.change === 'armed')).toHaveLength(1);

    // And two callbacks racing from both instances: one accepted, one refused as a replay.
    await a.arm(HOST, { kind: 'reinstall', profile: 'rescue' }, 'api');
    await b.reloadIfChanged();
    const o = sinkA.overrides.get(HOST);
    const [boot, sig] = (o?.kind === 'profile' ? o.extraArgs[0]! : '').split('/').slice(-2);
    const answers = await Promise.all([a, b].map((svc) => svc.callback({ mac: HOST, bootId: boot!, signature: sig!, status: 'done', from: 'x' })));
    expect(answers.map((r) => r.accepted).sort()).toEqual([false, true]);
    expect(answers.find((r) => !r.accepted)).toMatchObject({ refused: 'replay' });
  });
});
