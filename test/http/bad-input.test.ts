/**
 * Hostile and malformed input to every API route that takes a body, a parameter or a query: the answer is
 * always a 4xx JSON error (never a 500, never a crash) and the store is left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/http/csv.js';
import { AUTH, buildHarness, type Harness } from '../../lab/http/harness.js';

const bodies: Array<[string, string]> = [
  ['null', 'null'],
  ['array', '[1,2,3]'],
  ['string', '"hello"'],
  ['number', '42'],
  ['prototype pollution', '{"__proto__":{"admin":true},"mac":"52:54:00:00:00:01"}'],
  ['constructor pollution', '{"constructor":{"prototype":{"x":1}},"name":"p","kind":"localboot"}'],
  ['deep nesting', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`],
  ['huge string', JSON.stringify({ mac: '52:54:00:00:00:01', hostname: 'x'.repeat(100_000) })],
  ['wrong types', '{"mac":5,"ip":[],"profile":{},"labels":"a=b","name":7,"kind":null,"selector":1}'],
  ['truncated', '{"mac":"52:54:00'],
  ['control characters', '{"name":"a\\u0000b","kind":"localboot"}'],
];

const routes: Array<[string, string]> = [
  ['POST', '/api/v1/hosts'],
  ['POST', '/api/v1/profiles'],
  ['POST', '/api/v1/groups'],
  ['PUT', '/api/v1/hosts/52:54:00:00:00:01'],
  ['PUT', '/api/v1/profiles/p'],
  ['PUT', '/api/v1/groups/g'],
  ['POST', '/api/v1/import'],
];

describe('bad input never crashes the API or changes the store', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(routes)('%s %s answers every malformed body with a 4xx JSON error', async (method, url) => {
    for (const [what, payload] of bodies) {
      const res = await h.app.inject({ method: method as 'POST' | 'PUT', url, headers: { ...AUTH, 'content-type': 'application/json' }, payload });
      expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, what).toBeLessThan(500);
      expect(typeof res.json().code, what).toBe('string');
    }
    expect(await h.store.inventory.revision()).toBe(0);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('hostile parameters and queries get 4xx JSON errors', async () => {
    const urls = [
      '/api/v1/hosts/%ZZ',
      '/api/v1/hosts/' + 'a'.repeat(5000),
      '/api/v1/profiles/..%2F..%2Fetc',
      '/api/v1/leases/999.1.1.1',
      '/api/v1/leases?active=maybe',
      '/api/v1/leases?mac[]=x',
      '/api/v1/machines/%00/timeline',
      '/api/v1/machines/52:54:00:00:00:01/timeline?since=-1',
      '/api/v1/machines/52:54:00:00:00:01/timeline?limit=abc',
    ];
    for (const url of urls) {
      const res = await h.app.inject({ url });
      expect([400, 404], `${url}: ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
      expect(typeof res.json().code).toBe('string');
    }
  });

  it('CSV: quoted commas, doubled quotes and CRLF are read per RFC 4180', () => {
    expect(parseCsv('a,"b,c","d ""e"""\r\nf,,\n\n')).toEqual([
      ['a', 'b,c', 'd "e"'],
      ['f', '', ''],
    ]);
    expect(() => parseCsv('"open\n')).toThrow(/line 1: unterminated/);
  });
});
