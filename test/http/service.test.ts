import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';

describe('service endpoints and API documentation', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('/healthz answers; /readyz is 200 while the store answers and 503 when it does not', async () => {
    const store = openSqliteStore(':memory:');
    h = await buildHarness({ store });
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', store: 'sqlite' });
    await h.recorder.close();
    await store.close();
    const down = await h.app.inject({ url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ code: 'unavailable', message: expect.stringContaining('store (sqlite) unreachable') });
  });

  it('serves an OpenAPI 3 document listing the API routes, and the interactive docs', async () => {
    h = await buildHarness();
    const doc = (await h.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/v1/hosts', '/api/v1/hosts/{mac}', '/api/v1/profiles/{name}', '/api/v1/groups', '/api/v1/import', '/api/v1/leases', '/api/v1/leases/{ip}', '/api/v1/machines/{mac}/timeline', '/metrics', '/readyz']) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(doc.paths['/api/v1/hosts'].post.requestBody.content['application/json'].schema.properties.mac).toBeDefined();
    const ui = await h.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('http.docs: false leaves the documentation out', async () => {
    h = await buildHarness({ config: { http: { token: 'test-token-0123456789abcdef', docs: false } } });
    expect((await h.app.inject({ url: '/openapi.json' })).statusCode).toBe(404);
  });
});
