/**
 * `POST /api/v1/import`: bulk inventory import in one transaction. JSON `{ profiles?, groups?, hosts? }`
 * or CSV hosts (`Content-Type: text/csv`, columns `mac,hostname,ip,profile,labels`). `?mode=create`
 * (default) refuses any key that exists; `?mode=upsert` replaces existing documents. Nothing is written
 * unless every document passes.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ConfigProblem } from '../../config/types.js';
import type { InventoryChange, InventoryKind } from '../../store/types.js';
import { hostsFromCsv } from '../csv.js';
import { ApiError, validationError } from '../errors.js';
import { prepareDocument, writeInventory, type InventoryContext } from '../inventory-writes.js';

/** Most documents accepted in one import. */
export const MAX_IMPORT_DOCUMENTS = 10_000;

const ImportQuery = Type.Object({ mode: Type.Union([Type.Literal('create'), Type.Literal('upsert')], { default: 'create' }) }, { additionalProperties: false });

/** Registers the import route. */
export function registerImportRoute(app: FastifyInstance, ctx: InventoryContext): void {
  app.post<{ Querystring: { mode: 'create' | 'upsert' } }>(
    '/api/v1/import',
    {
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['inventory'],
        summary: 'Import profiles, groups and hosts (JSON) or hosts (CSV) in one transaction',
        querystring: ImportQuery,
      },
    },
    async (request) => {
      let batch: Partial<Record<InventoryKind, unknown[]>>;
      if (typeof request.body === 'string') {
        const { hosts, problems } = hostsFromCsv(request.body);
        if (problems.length > 0) throw validationError(problems);
        batch = { hosts };
      } else {
        const body = request.body as Record<string, unknown> | null;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('validation', 'body must be an object with profiles, groups and/or hosts', '(body)');
        const unknown = Object.keys(body).filter((k) => !['profiles', 'groups', 'hosts'].includes(k));
        if (unknown.length > 0) throw new ApiError('validation', `${unknown[0]}: unknown key`, unknown[0]);
        batch = {};
        for (const kind of ['profiles', 'groups', 'hosts'] as const) {
          const list = body[kind];
          if (list === undefined) continue;
          if (!Array.isArray(list)) throw new ApiError('validation', `${kind}: must be an array`, kind);
          batch[kind] = list;
        }
      }
      const total = Object.values(batch).reduce((n, list) => n + list.length, 0);
      if (total > MAX_IMPORT_DOCUMENTS) throw new ApiError('payload-too-large', `${total} documents; at most ${MAX_IMPORT_DOCUMENTS} per import`);

      const changes: InventoryChange[] = [];
      const paths: string[] = [];
      const problems: ConfigProblem[] = [];
      const csv = typeof request.body === 'string';
      for (const kind of ['profiles', 'groups', 'hosts'] as const) {
        (batch[kind] ?? []).forEach((raw, i) => {
          // CSV rows are named by line (the header, if any, is line 1).
          const path = csv ? `hosts[${i}]` : `${kind}[${i}]`;
          try {
            const doc = prepareDocument(kind, raw, path);
            changes.push({ op: request.query.mode === 'upsert' ? 'put' : 'create', kind, doc });
            paths.push(path);
          } catch (error) {
            if (error instanceof ApiError && error.problems) problems.push(...error.problems);
            else throw error;
          }
        });
      }
      if (problems.length > 0) throw validationError(problems);
      await writeInventory(ctx, changes, (i) => paths[i] ?? '');
      const counts = { profiles: batch.profiles?.length ?? 0, groups: batch.groups?.length ?? 0, hosts: batch.hosts?.length ?? 0 };
      return { imported: counts, mode: request.query.mode };
    },
  );
}
