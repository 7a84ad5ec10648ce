/**
 * `GET /api/v1/explain` and its OpenAPI schema: for machines that exercise every part of the answer
 * (a host by MAC and by UUID, groups, a domU, an unknown MAC, iPXE, UEFI), the route's JSON is exactly
 * `explainMachine`'s answer (a serializer drops what the schema does not name, so nothing may be
 * missing), every answer validates against the schema the OpenAPI document publishes, and the schema
 * admits nothing unnamed.
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { bootServiceFromConfig } from '../../src/boot-service.js';
import { buildConfig } from '../../src/config/load.js';
import { explainDepsFor } from '../../src/explain/deps.js';
import { explainMachine, type ExplainQuery } from '../../src/explain/explain.js';
import { buildApp } from '../../src/http/app.js';
import { ExplanationSchema } from '../../src/http/routes/explain-schema.js';
import { bootRoutes } from '../../src/http/routes/boot.js';
import { silentLogger } from '../../src/log.js';
import { EventBus } from '../../src/timeline/bus.js';

const inventory = {
  profiles: [
    { name: 'xen-diskless', kind: 'xen-dom0', xen: { image: 'xen.gz', uncompressed: 'xen', args: ['dom0_mem=512M'] }, dom0: { kernel: 'vmlinuz', args: ['console=hvc0'], initrds: ['initrd.img'] }, root: { type: 'nfs', path: '/srv/dom0' } },
    { name: 'domu', kind: 'xen-domu', kernel: 'domu/vmlinuz', initrd: 'domu/initrd.img', args: ['root=/dev/xvda1'], disks: [{ target: '/dev/vg0/{{name}}' }] },
  ],
  hosts: [
    { mac: '52:54:00:12:34:56', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', hostname: 'xen1', ip: '10.99.0.123', labels: { role: 'dom0', rack: 'r1' } },
    { mac: '00:16:3e:11:22:33', profile: 'domu', ip: '10.99.0.156' },
  ],
  groups: [
    { name: 'dom0s', selector: { role: 'dom0' }, profile: 'xen-diskless' },
    { name: 'rack1', selector: { role: 'dom0', rack: 'r1' }, vars: { site: 'a' } },
  ],
};

const QUERIES: ExplainQuery[] = [
  { mac: '52:54:00:12:34:56', arch: 0 },
  { mac: '52:54:00:99:99:99', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', arch: 7 },
  { mac: '52:54:00:12:34:56', arch: 7, userClass: 'iPXE' },
  { mac: '00:16:3e:11:22:33' },
  { mac: '52:54:00:00:00:77', arch: 0, ip: '10.99.0.150' },
];

/** Every object schema in `schema` (nested) that does not forbid unnamed properties. */
function openObjects(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const here = s.type === 'object' && s.properties !== undefined && s.additionalProperties !== false ? [path] : [];
  return [...here, ...Object.entries(s).flatMap(([k, v]) => (typeof v === 'object' ? openObjects(v, `${path}.${k}`) : []))];
}

describe('GET /api/v1/explain against its schema', () => {
  it('answers exactly what explainMachine says, valid against the published schema', async () => {
    const result = buildConfig(
      { server: { address: '10.99.0.1' }, dhcp: { mode: 'full', subnet: '10.99.0.0/24', ranges: [{ start: '10.99.0.100', end: '10.99.0.199' }], pxelinux: { configFile: 'pxelinux.cfg/default' } }, http: { readAccess: 'open' }, store: { kind: 'memory' }, inventory },
      { baseDir: '/', privileged: false },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const config = result.config;
    const boot = await bootServiceFromConfig(config);
    const app = await buildApp({ config, logger: silentLogger(), events: new EventBus(), extraRoutes: (routes) => bootRoutes(routes, { boot, explainDeps: () => explainDepsFor(config, boot) }) });
    try {
      const published = (await app.inject({ url: '/openapi.json' })).json().paths['/api/v1/explain'].get;
      const schema = published.responses['200'].content['application/json'].schema;
      expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ExplanationSchema.properties).sort());
      expect(openObjects(ExplanationSchema)).toEqual([]);
      expect(published.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['arch', 'ip', 'mac', 'userClass', 'uuid']);
      const seen = new Set<string>();
      for (const query of QUERIES) {
        const url = `/api/v1/explain?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()}`;
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(200);
        const direct = JSON.parse(JSON.stringify(await explainMachine(query, explainDepsFor(config, boot))));
        expect(res.json(), url).toEqual(direct);
        expect([...Value.Errors(ExplanationSchema, direct)].map((e) => `${e.path}: ${e.message}`), url).toEqual([]);
        for (const key of ['host', 'profile', 'dhcp']) if (direct[key] !== null) seen.add(key);
        if (direct.groups.length > 0) seen.add('groups');
        if (direct.files.some((f: { text?: string }) => f.text !== undefined)) seen.add('text');
      }
      // The machines above fill every part of the answer at least once.
      expect([...seen].sort()).toEqual(['dhcp', 'groups', 'host', 'profile', 'text']);
      expect((await app.inject({ url: '/api/v1/explain' })).json()).toMatchObject({ statusCode: 400, message: 'mac is required' });
    } finally {
      await app.close();
    }
  });
});
