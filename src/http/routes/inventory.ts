/**
 * `/api/v1/hosts`, `/api/v1/profiles`, `/api/v1/groups`: list, read, create, replace and delete the
 * inventory documents kept in the store (the config file's inventory is read-only here; a store entry
 * with the same key overrides it). Hosts are keyed by MAC (any spelling in the URL), the others by name.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GroupSchema, HostSchema, ProfileSchema } from '../../inventory/model.js';
import { parseMac } from '../../net/mac.js';
import type { InventoryKind } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { prepareDocument, writeInventory, type InventoryContext } from '../inventory-writes.js';

const documentSchemas = { hosts: HostSchema, profiles: ProfileSchema, groups: GroupSchema } as const;
const keyNames = { hosts: 'mac', profiles: 'name', groups: 'name' } as const;

/** Turns the URL key into the store key; a malformed MAC is a 400 naming `params.mac`. */
function urlKey(kind: InventoryKind, raw: string): string {
  if (kind !== 'hosts') return raw;
  const mac = parseMac(raw);
  if (mac === null) throw new ApiError('validation', `${raw} is not a MAC address`, 'params.mac');
  return mac;
}

/** Registers the CRUD routes of every inventory kind. */
export function registerInventoryRoutes(app: FastifyInstance, ctx: InventoryContext): void {
  for (const kind of ['hosts', 'profiles', 'groups'] as const) {
    const keyName = keyNames[kind];
    const singular = kind.slice(0, -1);
    const base = `/api/v1/${kind}`;
    const item = `${base}/:${keyName}`;
    const tags = ['inventory'];
    const params = Type.Object({ [keyName]: Type.String() });
    // The body is validated in the handler (per profile kind, with defaults); the schema here documents it.
    const docBody = { ...documentSchemas[kind], 'x-validated-by': 'handler' };
    const created = (reply: FastifyReply, key: string, doc: unknown) =>
      reply.status(201).header('location', `${base}/${encodeURIComponent(key)}`).send(doc);

    app.get(base, { schema: { tags, summary: `List ${kind} in the store` } }, async () => ctx.store.inventory.list(kind));

    app.get<{ Params: Record<string, string> }>(
      item,
      { schema: { tags, summary: `Read one ${singular}`, params } },
      async (request) => {
        const key = urlKey(kind, request.params[keyName]!);
        const doc = await ctx.store.inventory.get(kind, key);
        if (doc === null) {
          // A document from the config file is not in the store: say where it is rather than only "no such".
          const fromConfig = (ctx.configInventory()[kind] as ReadonlyArray<{ mac?: string; name?: string }>).some((d) => (kind === 'hosts' ? parseMac(d.mac ?? '') : d.name) === key);
          const where = fromConfig ? ` in the store: it is defined in the config file (read-only here); GET /api/v1/inventory/${kind}/${encodeURIComponent(key)} shows it` : '';
          throw new ApiError('not-found', `no ${singular} ${key}${where}`, `params.${keyName}`);
        }
        return doc;
      },
    );

    app.post(base, { schema: { tags, summary: `Create a ${singular} (409 if its key or address is taken)`, body: docBody } }, async (request, reply) => {
      const doc = prepareDocument(kind, request.body);
      await writeInventory(ctx, [{ op: 'create', kind, doc }], () => '');
      return created(reply, String(doc[keyName]), doc);
    });

    app.put<{ Params: Record<string, string> }>(
      item,
      { schema: { tags, summary: `Create or replace a ${singular} (a different ${keyName} in the body renames it)`, params, body: docBody } },
      async (request, reply) => {
        const key = urlKey(kind, request.params[keyName]!);
        const body = request.body;
        const withKey = body !== null && typeof body === 'object' && !Array.isArray(body) && !(keyName in body) ? { ...body, [keyName]: key } : body;
        const doc = prepareDocument(kind, withKey);
        const existed = (await ctx.store.inventory.get(kind, key)) !== null;
        // Same key: an upsert (two racing PUTs both succeed, the last wins). Another key: a rename of the
        // document under the URL's key, which must exist (404 otherwise).
        const renamed = String(doc[keyName]) !== key;
        await writeInventory(ctx, [renamed ? { op: 'replace', kind, key, doc } : { op: 'put', kind, doc }], () => (renamed ? `params.${keyName}` : ''));
        return existed ? reply.send(doc) : created(reply, String(doc[keyName]), doc);
      },
    );

    app.delete<{ Params: Record<string, string> }>(
      item,
      { schema: { tags, summary: `Delete a ${singular}`, params } },
      async (request, reply) => {
        const key = urlKey(kind, request.params[keyName]!);
        await writeInventory(ctx, [{ op: 'delete', kind, key }], () => `params.${keyName}`);
        return reply.status(204).send();
      },
    );
  }
}
