/**
 * The HTTP API against a hostile boot network (issue 17, items 1, 6, 7 and 14, and the secure default):
 * reads need the token unless the config opens them, guards follow routes whatever the URL spelling,
 * the token is checked before a body is read, deep JSON is a 400, slow requests time out, and a live
 * event stream whose client stops reading is cut off with its buffer bounded.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../src/http/json-body.js';
import { MAX_STREAM_BACKLOG } from '../../src/http/routes/timeline.js';
import { AUTH, TOKEN, buildHarness, type Harness } from '../../lab/http/harness.js';

let h: Harness | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.close();
  h = undefined;
});

/** Listens on 127.0.0.1 and returns the port. */
async function listen(harness: Harness): Promise<number> {
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  return (harness.app.server.address() as { port: number }).port;
}

/** A raw TCP connection to the app; `text()` is everything received so far, `closed` resolves on close. */
function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, text: () => received, closed };
}

/** Resolves true when `check` holds within `ms`, polling every 20 ms. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('secure by default', () => {
  it('API reads need the token unless readAccess: open; boot files and the boot spec do not', async () => {
    h = await buildHarness({ config: { http: { token: TOKEN } } });
    expect(h.config.http.readAccess).toBe('token');
    for (const url of ['/api/v1/hosts', '/api/v1/inventory', '/api/v1/leases', '/api/v1/machines/52:54:00:00:00:01/timeline', '/api/v1/events/stream']) {
      expect((await h.app.inject({ url })).statusCode, url).toBe(401);
    }
    expect((await h.app.inject({ url: '/api/v1/hosts', headers: AUTH })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/generated/hello.ipxe' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('without a token configured, reads are refused and the answer names the keys to set', async () => {
    h = await buildHarness({ config: { http: {} } });
    const res = await h.app.inject({ url: '/api/v1/leases' });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/http\.token.*http\.readAccess: open/);
  });
});

describe('guards follow routes, not URL strings', () => {
  it('explain needs the token however its URL is spelled; the boot spec stays open', async () => {
    h = await buildHarness({ config: { http: { token: TOKEN, readAccess: 'token' } } });
    const { buildApp } = await import('../../src/http/app.js');
    const { silentLogger } = await import('../../src/log.js');
    const app = await buildApp({
      config: h.config,
      logger: silentLogger(),
      events: h.bus,
      store: h.store,
      extraRoutes: (routes) => {
        routes.get('/api/v1/explain', async () => ({ explained: true }));
        routes.get('/api/v1/boot-spec/:mac', async () => ({ kernel: 'k' }));
      },
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as { port: number }).port;
      for (const target of ['/api/v1/%65xplain?mac=52:54:00:00:00:01', 'http://x/api/v1/explain?mac=52:54:00:00:00:01', '/api/v1/explain/?mac=1', '/api/v1//explain?mac=1']) {
        const client = rawClient(port);
        client.socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        await client.closed;
        expect(client.text(), target).not.toContain('explained');
      }
      const spec = await fetch(`http://127.0.0.1:${port}/api/v1/boot-spec/52:54:00:00:00:01`);
      expect(spec.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('authentication before the body', () => {
  it('an unauthenticated 16 MiB upload is refused before its body is sent', async () => {
    h = await buildHarness();
    const client = rawClient(await listen(h));
    client.socket.write(`POST /api/v1/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n{"hosts":[`);
    expect(await within(3_000, () => client.text().startsWith('HTTP/1.1 401'))).toBe(true);
  });

  it('a deeply nested body is a 400, never a 500', async () => {
    h = await buildHarness();
    for (const depth of [100, 100_000]) {
      const payload = `{"hosts":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...AUTH, 'content-type': 'application/json' }, payload });
      expect(res.statusCode, `depth ${depth}`).toBe(400);
    }
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    expect(jsonDepthExceeds('{"a":"[[[[[[[[","b":"\\"[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[{"b":1}]]}', 3)).toBe(true);
  });
});

describe('slow requests', () => {
  it('a connection that sends its body too slowly is closed after http.requestTimeout', { timeout: 15_000 }, async () => {
    h = await buildHarness({ config: { http: { token: TOKEN, requestTimeout: 1 } } });
    const client = rawClient(await listen(h));
    client.socket.write(`POST /api/v1/profiles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const drip = setInterval(() => client.socket.write(' '), 300);
    try {
      expect(await within(6_000, () => client.socket.destroyed || client.text().includes('408'))).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });
});

describe('live event streams and slow readers', () => {
  it('a client that stops reading is cut off; what it was sent stays bounded', { timeout: 30_000 }, async () => {
    h = await buildHarness();
    const port = await listen(h);
    const client = rawClient(port);
    client.socket.write('GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await within(3_000, () => client.text().includes('xenboot live events'))).toBe(true);
    client.socket.pause();
    // 32 MiB of events: more than the kernel's socket buffers and the stream's backlog together.
    const path = `/${'x'.repeat(16 * 1024)}`;
    for (let i = 0; i < 2048; i++) {
      h.bus.emit({ kind: 'http', at: Date.now(), ip: '10.0.0.9', method: 'GET', path, status: 404, bytes: 0, durationMs: 1 });
      if (i % 64 === 63) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 200));
    client.socket.resume();
    await Promise.race([client.closed, new Promise((r) => setTimeout(r, 10_000))]);
    expect(client.socket.destroyed).toBe(true);
    // Less than was emitted: the rest was never buffered for this client.
    expect(client.text().length).toBeLessThan(2048 * path.length - MAX_STREAM_BACKLOG);
  });
});
