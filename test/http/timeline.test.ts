/**
 * The machine timeline: events from the bus are enriched with a MAC, stored, returned oldest first by
 * `/api/v1/machines/:mac/timeline` (and `/api/machines/:mac/timeline`), and pushed live over SSE.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BootEvent, DhcpExchangeEvent, HttpFetchEvent, TftpTransferEvent } from '../../src/timeline/types.js';
import { macFromName } from '../../src/timeline/enricher.js';
import type { Store } from '../../src/store/types.js';
import { backends } from '../store/backends.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';

const MAC = '52:54:00:00:aa:01';
const IP = '10.204.30.5';

const ack = (at: number): DhcpExchangeEvent => ({ kind: 'dhcp', at, mac: MAC, messageType: 'REQUEST', reply: 'ACK', yiaddr: IP, reason: 'pool' });
const tftp = (at: number, file: string, ip = IP): TftpTransferEvent => ({
  kind: 'tftp',
  at,
  ip,
  port: 2000,
  serverIp: '10.204.30.1',
  file,
  outcome: 'complete',
  bytes: 100,
  size: 100,
  blksize: 1408,
  windowsize: 1,
  durationMs: 3,
  retransmits: 0,
  sendBufferFull: 0,
});
const fetch = (at: number, path: string, ip = IP): HttpFetchEvent => ({ kind: 'http', at, ip, method: 'GET', path, status: 200, bytes: 10, durationMs: 1 });

describe.each(backends)('timeline ($name)', (backend) => {
  let h: Harness;
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
    h = await buildHarness({ store });
  });
  afterEach(async () => {
    await h.close();
    await cleanup();
  });

  it('stores DHCP → TFTP → HTTP in order and attributes IP-only events to the MAC the address was acknowledged to', async () => {
    const t = Date.now();
    h.bus.emit(ack(t));
    h.bus.emit(tftp(t + 1, 'pxelinux.0'));
    // dom0's pypxeboot asks from another address, but the file name carries the MAC.
    h.bus.emit(tftp(t + 2, 'pxelinux.cfg/01-52-54-00-00-AA-01', '10.204.30.250'));
    h.bus.emit(fetch(t + 3, '/xen/vmlinuz'));
    h.bus.emit(fetch(t + 4, '/other', '10.204.30.77'));
    await h.recorder.flush();
    for (const url of [`/api/v1/machines/${MAC}/timeline`, '/api/machines/52-54-00-00-AA-01/timeline']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { mac: string; events: BootEvent[] };
      expect(body.mac).toBe(MAC);
      expect(body.events.map((e) => `${e.kind}:${e.kind === 'tftp' ? e.file : e.kind === 'http' ? e.path : e.kind === 'lifecycle' ? e.change : e.messageType}`)).toEqual([
        'dhcp:REQUEST',
        'tftp:pxelinux.0',
        'tftp:pxelinux.cfg/01-52-54-00-00-AA-01',
        'http:/xen/vmlinuz',
      ]);
    }
    const limited = await h.app.inject({ url: `/api/v1/machines/${MAC}/timeline?limit=2&since=${t}` });
    expect(limited.json().events.map((e: BootEvent) => e.at)).toEqual([t + 2, t + 3]);
    expect((await h.app.inject({ url: '/api/v1/machines/bad/timeline' })).json()).toMatchObject({ statusCode: 400, path: 'params.mac' });
    expect((await h.app.inject({ url: `/api/v1/machines/${MAC}/timeline?limit=0` })).json()).toMatchObject({ statusCode: 400, path: 'query.limit' });
  });

  it('looks an unknown address up in the lease store (another instance may have leased it)', async () => {
    const t = Date.now();
    await store.leases.claimLease({ mac: '52:54:00:00:aa:02', ip: '10.204.30.6', state: 'bound', expiresAt: t + 60_000, updatedAt: t }, t);
    h.bus.emit(tftp(t, 'pxelinux.0', '10.204.30.6'));
    await h.recorder.flush();
    expect((await h.app.inject({ url: '/api/v1/machines/52:54:00:00:aa:02/timeline' })).json().events.length).toBe(1);
  });

  it('streams new events of one machine as server-sent events', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/machines/${MAC}/timeline/stream` }, resolve);
      req.on('error', reject);
      req.end();
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let text = '';
    const gotEvent = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within 5 s; got ${JSON.stringify(text)}`)), 5_000);
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('event: tftp')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const t = Date.now();
    h.bus.emit(fetch(t, '/unrelated', '10.204.30.99'));
    h.bus.emit(ack(t));
    h.bus.emit(tftp(t + 1, 'pxelinux.0'));
    await gotEvent;
    const frames = text.split('\n\n').filter((f) => f.startsWith('event:'));
    expect(frames.map((f) => f.split('\n')[0])).toEqual(['event: dhcp', 'event: tftp']);
    expect(JSON.parse(frames[1]!.split('\n')[1]!.slice('data: '.length))).toMatchObject({ kind: 'tftp', mac: MAC, file: 'pxelinux.0' });
    // Closing the app ends open streams instead of hanging.
    const ended = new Promise<void>((resolve) => response.on('end', resolve));
    await h.app.close();
    await ended;
  });

  it('retention drops events older than maxAgeHours and keeps the newest maxPerMachine', async () => {
    const t = Date.now();
    h.bus.emit({ ...ack(t - 200 * 3_600_000) });
    for (let i = 0; i < 5; i += 1) h.bus.emit(ack(t + i));
    await h.recorder.flush();
    expect(await h.recorder.prune(t + 10)).toBe(1);
    expect((await store.events.listEvents({ mac: MAC })).length).toBe(5);
  });
});

describe('MAC from a requested name', () => {
  it('reads pxelinux/grub names, a mac= query and MAC path segments; nothing else', () => {
    expect(macFromName('pxelinux.cfg/01-52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
    expect(macFromName('/grub/grub.cfg-01-52-54-00-ab-cd-ef')).toBe('52:54:00:ab:cd:ef');
    expect(macFromName('/boot.ipxe?mac=52%3A54%3A00%3Aab%3Acd%3Aef&arch=x86_64')).toBe('52:54:00:ab:cd:ef');
    expect(macFromName('/ipxe/525400abcdef.ipxe')).toBe('52:54:00:ab:cd:ef');
    expect(macFromName('/api/v1/boot-spec/52%3A54%3A00%3Aab%3Acd%3Aef')).toBe('52:54:00:ab:cd:ef');
    expect(macFromName('pxelinux.cfg/C0A80A15')).toBeUndefined();
    expect(macFromName('pxelinux.cfg/default')).toBeUndefined();
    expect(macFromName('xen/vmlinuz-6.1.0-13-amd64')).toBeUndefined();
  });
});

describe('live stream of every machine', () => {
  it('pushes events of all machines, or of one with ?mac=; a bad MAC is a 400', async () => {
    const h = await buildHarness();
    try {
      expect((await h.app.inject({ url: '/api/v1/events/stream?mac=nope' })).json()).toMatchObject({ statusCode: 400, path: 'query.mac' });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = h.app.server.address() as { port: number };
      const open = (path: string) =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path }, resolve);
          req.on('error', reject);
          req.end();
        });
      const all = await open('/api/v1/events/stream');
      const one = await open('/api/v1/events/stream?mac=52-54-00-00-AA-09');
      const collect = (response: IncomingMessage, frames: number) =>
        new Promise<string[]>((resolve, reject) => {
          let text = '';
          const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(text)}`)), 5_000);
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            const events = text.split('\n\n').filter((f) => f.startsWith('event:'));
            if (events.length >= frames) {
              clearTimeout(timer);
              resolve(events.map((f) => (JSON.parse(f.split('\n')[1]!.slice(6)) as BootEvent).mac ?? ''));
            }
          });
        });
      const allFrames = collect(all, 2);
      const oneFrames = collect(one, 1);
      h.bus.emit({ kind: 'dhcp', at: Date.now(), mac: '52:54:00:00:aa:08', messageType: 'DISCOVER', reply: 'OFFER' });
      h.bus.emit({ kind: 'dhcp', at: Date.now(), mac: '52:54:00:00:aa:09', messageType: 'DISCOVER', reply: 'OFFER' });
      expect(await allFrames).toEqual(['52:54:00:00:aa:08', '52:54:00:00:aa:09']);
      expect(await oneFrames).toEqual(['52:54:00:00:aa:09']);
    } finally {
      await h.close();
    }
  });
});
