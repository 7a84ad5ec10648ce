/**
 * The lifecycle over HTTP, on the app as `xenboot serve` builds it (injected requests): arming an action
 * changes what the boot path renders (the one-shot profile with its `xenboot.callback=` URL), a bare GET
 * of the callback changes nothing, a signed POST (form-encoded, as busybox wget sends it) is accepted
 * once, unsigned and foreign ones are refused; every change is in the machine's timeline. Power control
 * goes to the Redfish test service: "rescue once + power cycle" in one request, bad credentials and a
 * dead BMC give clear errors, and no answer or log line holds a credential.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { bootServiceFromConfig } from '../../src/boot-service.js';
import { buildConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { bootRoutes } from '../../src/http/routes/boot.js';
import { LifecycleService } from '../../src/lifecycle/service.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { EventBus } from '../../src/timeline/bus.js';
import { EventEnricher } from '../../src/timeline/enricher.js';
import { EventRecorder } from '../../src/timeline/recorder.js';
import { defaultEventRetention } from '../../src/store/config.js';
import { startRedfishService, type RedfishService } from './redfish-service.js';
import { explainDepsFor } from '../../src/explain/deps.js';
import type { Logger } from '../../src/log.js';

const TOKEN = 'lifecycle-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const HOST = '52:54:00:30:00:11';
const OTHER = '52:54:00:30:00:12';
const NOBMC = '52:54:00:30:00:13';
const DEAD = '52:54:00:30:00:14';
const PASSWORD = 'rf-secret-Pa55word';

describe('lifecycle API', () => {
  let dir: string;
  let app: FastifyInstance;
  let store: Store;
  let redfish: RedfishService;
  let recorder: EventRecorder;
  let lifecycle: LifecycleService;
  const logLines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xenboot-lc-api-'));
    redfish = await startRedfishService({ username: 'operator', password: PASSWORD });
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'rack1-bmc': { username: 'operator', password: PASSWORD }, 'wrong-bmc': { username: 'operator', password: 'nope' } }));
    const result = buildConfig(
      {
        server: { address: '10.205.30.1' },
        http: { token: TOKEN, readAccess: 'token', port: 8080 },
        tftp: { root: dir },
        power: { secretsFile: 'secrets.json', timeoutSeconds: 1, retries: 1 },
        inventory: {
          profiles: [
            { name: 'dom0', kind: 'linux', kernel: 'linux/vmlinuz', initrds: ['linux/initrd.img'], args: ['console=ttyS0'] },
            { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: ['console=ttyS0', 'rescue=1'] },
          ],
          hosts: [
            { mac: HOST, hostname: 'node1', profile: 'dom0', bmc: { protocol: 'redfish', address: '127.0.0.1', port: redfish.port, credentials: 'rack1-bmc', firmware: 'uefi', ca: redfish.caFile } },
            { mac: OTHER, hostname: 'node2', profile: 'dom0', bmc: { protocol: 'redfish', address: '127.0.0.1', port: redfish.port, credentials: 'wrong-bmc', ca: redfish.caFile } },
            { mac: NOBMC, hostname: 'node3', profile: 'dom0' },
            // A port nothing listens on: connection refused at once.
            { mac: DEAD, hostname: 'node4', profile: 'dom0', bmc: { protocol: 'redfish', address: '127.0.0.1', port: 9, credentials: 'rack1-bmc' } },
          ],
        },
      },
      { baseDir: dir, privileged: false },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const config = result.config;
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) })) as unknown as Logger;
    store = openSqliteStore(':memory:');
    const bus = new EventBus();
    recorder = new EventRecorder({ bus, events: store.events, enricher: new EventEnricher({ leases: store.leases }), retention: defaultEventRetention, logger, flushIntervalMs: 5 });
    recorder.start();
    const boot = await bootServiceFromConfig(config, { store, logger });
    lifecycle = new LifecycleService({
      store: store.lifecycle,
      profile: (name) => boot.provider.current().profile(name),
      isHost: (mac) => boot.provider.current().hostByMac(mac) !== undefined,
      applyOverrides: (o) => boot.provider.setOverrides(o),
      publicUrl: config.http.publicUrl,
      logger,
      onAudit: (event) => recorder.announce(event),
    });
    await lifecycle.start();
    recorder.subscribe((event) => lifecycle.observe(event));
    app = await buildApp({
      config,
      logger,
      events: bus,
      store,
      inventory: boot.provider,
      recorder,
      lifecycle: { lifecycle, power: { secretsFile: config.power.secretsFile!, limits: { timeoutMs: 1000, retries: 1 } } },
      extraRoutes: (routes) => bootRoutes(routes, { boot, explainDeps: () => explainDepsFor(config, boot, async () => null) }),
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await recorder?.close();
    await store?.close();
    await redfish?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const script = async (mac: string) => (await app.inject({ method: 'GET', url: `/boot.ipxe?mac=${mac}` })).body;
  const callbackUrl = (text: string) => /xenboot\.callback=(\S+)/.exec(text)?.[1];

  it('arms rescue once: the boot script becomes the rescue profile with a callback URL; a GET of it changes nothing', async () => {
    expect(await script(HOST)).toContain('linux/vmlinuz');
    expect(await script(HOST)).not.toContain('xenboot.callback');
    const put = await app.inject({ method: 'PUT', url: '/api/v1/hosts/node1/next-boot', headers: AUTH, payload: { action: 'once', profile: 'rescue' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().lifecycle).toMatchObject({ mac: HOST, state: 'pending', action: 'once: rescue', nextBoot: { profile: 'rescue' } });
    const text = await script(HOST);
    expect(text).toContain('rescue/vmlinuz');
    expect(text).toContain('rescue=1');
    const url = callbackUrl(text)!;
    expect(url).toMatch(new RegExp(`^http://10\\.205\\.30\\.1:8080/api/v1/lifecycle/callback/52-54-00-30-00-11/[0-9a-f]{32}/[A-Za-z0-9_-]{43}$`));

    const path = new URL(url).pathname;
    const get = await app.inject({ method: 'GET', url: path });
    expect(get.statusCode).toBe(405);
    const status = await app.inject({ method: 'GET', url: `/api/v1/hosts/${HOST}/lifecycle`, headers: AUTH });
    expect(status.json()).toMatchObject({ state: 'pending', version: 1 });
    // Reads need the token here (readAccess: token); the callback does not.
    expect((await app.inject({ method: 'GET', url: `/api/v1/hosts/${HOST}/lifecycle` })).statusCode).toBe(401);
  });

  it('the signed callback (form-encoded, no token) is accepted once; unsigned, foreign and replayed ones are refused', async () => {
    const path = new URL(callbackUrl(await script(HOST))!).pathname;
    const [, , , , , mac, boot] = path.split('/');
    const post = (url: string, body = 'status=done&message=rescue+ran') => app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });

    const unsigned = await post(`/api/v1/lifecycle/callback/${mac}/${boot}`);
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json().message).toMatch(/unsigned/);
    // The same boot and signature presented for another MAC (a foreign callback).
    const foreign = await post(path.replace('52-54-00-30-00-11', '52-54-00-30-00-12'));
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().message).toMatch(/bad-signature/);
    expect((await post(path, 'status=maybe')).statusCode).toBe(400);

    const ok = await post(path);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ accepted: true, state: 'idle', result: 'done' });
    const replay = await post(path);
    expect(replay.statusCode).toBe(403);
    expect(replay.json().message).toMatch(/replay/);
    expect(await script(HOST)).toContain('linux/vmlinuz');
    expect(await script(HOST)).not.toContain('rescue/');

    await recorder.flush();
    const timeline = await app.inject({ method: 'GET', url: `/api/v1/machines/${HOST}/timeline`, headers: AUTH });
    const changes = (timeline.json().events as Array<{ kind: string; change?: string; message?: string; by?: string }>).filter((e) => e.kind === 'lifecycle');
    expect(changes.map((e) => e.change)).toEqual(['armed', 'refused', 'callback', 'refused']);
    expect(changes[0]!.by).toMatch(/^api from /);
    expect(changes[2]!.message).toBe('done: rescue ran');
    const otherTimeline = await app.inject({ method: 'GET', url: `/api/v1/machines/${OTHER}/timeline`, headers: AUTH });
    expect((otherTimeline.json().events as Array<{ change?: string }>).map((e) => e.change)).toEqual(['refused']);
  });

  it('reinstall + power cycle in one request: the BMC gets a one-time PXE override, then a power cycle', async () => {
    redfish.accepted.length = 0;
    const put = await app.inject({ method: 'PUT', url: `/api/v1/hosts/${HOST}/next-boot`, headers: AUTH, payload: { action: 'reinstall', profile: 'rescue', power: 'cycle' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ lifecycle: { state: 'pending', action: 'reinstall: rescue' }, power: { before: 'on', did: 'network boot once, power cycle' } });
    const writes = redfish.accepted.filter((r) => r.method !== 'GET');
    expect(writes).toEqual([
      { method: 'PATCH', path: '/redfish/v1/Systems/437XR1138R2', body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'UEFI' } } },
      { method: 'POST', path: '/redfish/v1/Systems/437XR1138R2/Actions/ComputerSystem.Reset', body: { ResetType: 'PowerCycle' } },
    ]);
    expect(redfish.refused).toEqual([]);
    const power = await app.inject({ method: 'GET', url: `/api/v1/hosts/${HOST}/power`, headers: AUTH });
    expect(power.json()).toEqual({ mac: HOST, protocol: 'redfish', state: 'on' });
    const off = await app.inject({ method: 'POST', url: `/api/v1/hosts/${HOST}/power`, headers: AUTH, payload: { action: 'soft-off' } });
    expect(off.statusCode).toBe(200);
    expect(redfish.accepted.at(-1)).toMatchObject({ body: { ResetType: 'GracefulShutdown' } });
    expect(redfish.state.power).toBe('Off');
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/hosts/${HOST}/next-boot`, headers: AUTH });
    expect(del.json()).toMatchObject({ state: 'idle', result: { outcome: 'cleared' } });
  });

  it('clear errors: wrong credentials, a dead BMC, no BMC, no credentials; nothing is armed when the BMC check fails', async () => {
    const wrong = await app.inject({ method: 'GET', url: `/api/v1/hosts/${OTHER}/power`, headers: AUTH });
    expect(wrong.statusCode).toBe(502);
    expect(wrong.json().message).toMatch(/refused the credentials/);
    const started = Date.now();
    const dead = await app.inject({ method: 'GET', url: `/api/v1/hosts/${DEAD}/power`, headers: AUTH });
    expect(dead.statusCode).toBe(504);
    expect(dead.json().message).toMatch(/cannot reach the Redfish service at 127\.0\.0\.1:9/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const none = await app.inject({ method: 'PUT', url: `/api/v1/hosts/${NOBMC}/next-boot`, headers: AUTH, payload: { action: 'once', profile: 'rescue', power: 'cycle' } });
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toMatch(/no BMC/);
    expect((await app.inject({ method: 'GET', url: `/api/v1/hosts/${NOBMC}/lifecycle`, headers: AUTH })).json()).toMatchObject({ state: 'idle', version: 0 });
    const badProfile = await app.inject({ method: 'PUT', url: `/api/v1/hosts/${NOBMC}/next-boot`, headers: AUTH, payload: { action: 'once', profile: 'nope' } });
    expect(badProfile.statusCode).toBe(400);
    const unknown = await app.inject({ method: 'PUT', url: '/api/v1/hosts/52:54:00:ff:ff:ff/next-boot', headers: AUTH, payload: { action: 'disabled' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('netboot disabled: the host gets a local boot; the OpenAPI document lists the routes; no credential leaked', async () => {
    const put = await app.inject({ method: 'PUT', url: `/api/v1/hosts/${NOBMC}/next-boot`, headers: AUTH, payload: { action: 'disabled' } });
    expect(put.json().lifecycle).toMatchObject({ state: 'disabled', action: 'netboot: disabled', nextBoot: { profile: 'localboot' } });
    expect(await script(NOBMC)).toMatch(/exit|sanboot/);
    const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const path of ['/api/v1/lifecycle', '/api/v1/hosts/{host}/lifecycle', '/api/v1/hosts/{host}/next-boot', '/api/v1/hosts/{host}/power', '/api/v1/lifecycle/callback/{mac}/{boot}/{signature}']) {
      expect(Object.keys(openapi.paths), path).toContain(path);
    }
    const everything = logLines.join('\n') + JSON.stringify((await app.inject({ method: 'GET', url: '/api/v1/lifecycle', headers: AUTH })).json());
    expect(everything).not.toContain(PASSWORD);
    expect(everything).toContain('boot lifecycle changed');
  });
});
