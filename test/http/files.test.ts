/**
 * Boot files over HTTP: the content chain shared with TFTP (generated first, then the TFTP root), with
 * HEAD and byte ranges, hostile paths refused, and a fetch event per request on a boot path.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpFetchEvent } from '../../src/timeline/types.js';
import { decideRange } from '../../src/http/range.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';

describe('boot files over HTTP', () => {
  let h: Harness;
  const kernel = Buffer.alloc(700_000);
  for (let i = 0; i < kernel.length; i += 1) kernel[i] = (i * 7) & 0xff;
  const fetches: HttpFetchEvent[] = [];
  beforeAll(async () => {
    h = await buildHarness();
    mkdirSync(join(h.root, 'xen'));
    writeFileSync(join(h.root, 'xen', 'vmlinuz'), kernel);
    writeFileSync(join(h.root, 'empty'), '');
    writeFileSync(join(h.root, 'outside-secret'), 'x');
    symlinkSync('/etc/passwd', join(h.root, 'passwd-link'));
    h.bus.subscribe((e) => e.kind === 'http' && fetches.push(e));
  });
  afterAll(async () => {
    await h.close();
  });

  it('GET returns the whole file with its length and Accept-Ranges; leading slashes and backslashes are normalised', async () => {
    const res = await h.app.inject({ url: '/xen/vmlinuz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(kernel.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.rawPayload.equals(kernel)).toBe(true);
    expect((await h.app.inject({ url: '//xen%5Cvmlinuz' })).rawPayload.equals(kernel)).toBe(true);
    const empty = await h.app.inject({ url: '/empty' });
    expect([empty.statusCode, empty.body]).toEqual([200, '']);
  });

  it('HEAD gives the headers only; Range gives 206 with Content-Range, suffix ranges too; 416 past the end', async () => {
    const head = await h.app.inject({ method: 'HEAD', url: '/xen/vmlinuz' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(kernel.length));
    expect(head.body).toBe('');
    const part = await h.app.inject({ url: '/xen/vmlinuz', headers: { range: 'bytes=300000-300099' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 300000-300099/${kernel.length}`);
    expect(part.rawPayload.equals(kernel.subarray(300000, 300100))).toBe(true);
    const tail = await h.app.inject({ url: '/xen/vmlinuz', headers: { range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(kernel.subarray(kernel.length - 10))).toBe(true);
    const open = await h.app.inject({ url: '/xen/vmlinuz', headers: { range: 'bytes=699990-' } });
    expect(open.rawPayload.length).toBe(10);
    const beyond = await h.app.inject({ url: '/xen/vmlinuz', headers: { range: 'bytes=700000-' } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${kernel.length}`);
    expect(beyond.json().code).toBe('range-not-satisfiable');
  });

  it('serves generated content from the chain before static files', async () => {
    const res = await h.app.inject({ url: '/generated/hello.ipxe' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('#!ipxe\necho hello\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('404 JSON for missing files; 403 for escapes by .. or symlink; API prefixes never fall through to files', async () => {
    const missing = await h.app.inject({ url: '/pxelinux.cfg/01-52-54-00-00-00-01' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not-found');
    for (const url of ['/..%2f..%2fetc/passwd', '/xen/..%5c..%5cetc/passwd', '/passwd-link', '/a%00b']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    expect((await h.app.inject({ url: '/%E0%A4%A' })).statusCode).toBe(400);
    const api = await h.app.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.json().message).toContain('no route');
  });

  it('each boot-path response becomes an HttpFetchEvent; API requests do not', async () => {
    fetches.length = 0;
    await h.app.inject({ url: '/xen/vmlinuz?mac=52-54-00-12-34-56' });
    await h.app.inject({ url: '/nothing-here' });
    await h.app.inject({ url: '/api/v1/hosts' });
    expect(fetches.map((e) => [e.method, e.path, e.status, e.bytes, e.mac])).toEqual([
      ['GET', '/xen/vmlinuz?mac=52-54-00-12-34-56', 200, kernel.length, '52:54:00:12:34:56'],
      ['GET', '/nothing-here', 404, expect.any(Number), undefined],
    ]);
    expect(fetches[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('range decisions follow RFC 9110 §14', () => {
    expect(decideRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=0-0', 10)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(decideRange('bytes=5-100', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(decideRange('bytes=-100', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(decideRange('bytes=0-1,4-5', 10)).toEqual({ kind: 'full' });
    expect(decideRange('items=0-1', 10)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('which requests are boot fetches', () => {
  it('files, scripts and the pvboot boot spec are; the rest of the API, docs and service endpoints are not', async () => {
    const { isBootPath } = await import('../../src/http/fetch-events.js');
    expect(isBootPath('/boot.ipxe?mac=52:54:00:00:00:01')).toBe(true);
    expect(isBootPath('/pxelinux.cfg/default')).toBe(true);
    expect(isBootPath('/api/v1/boot-spec/52:54:00:00:00:01')).toBe(true);
    for (const url of ['/api/v1/hosts', '/api/v1/explain?mac=x', '/metrics', '/healthz', '/readyz', '/docs/', '/openapi.json']) expect(isBootPath(url), url).toBe(false);
  });
});
