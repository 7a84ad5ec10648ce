/**
 * The boot lifecycle and power control over HTTP (docs/lifecycle.md):
 * - `GET /api/v1/lifecycle`: every host with a lifecycle record;
 * - `GET /api/v1/hosts/:host/lifecycle`: one host's state, action, evidence, last result, BMC;
 * - `PUT /api/v1/hosts/:host/next-boot` `{action: once|reinstall|disabled, profile?, power?: cycle}`:
 *   arms an action and, with `power: cycle`, sets the BMC's next boot to the network and power-cycles
 *   (or powers on) the host in the same request; `DELETE` clears it;
 * - `GET /api/v1/hosts/:host/power`, `POST /api/v1/hosts/:host/power` `{action: on|off|soft-off|cycle|network-boot-once}`;
 * - `POST /api/v1/lifecycle/callback/:mac/:boot/:signature` `{status: done|failed, message?}` (JSON or
 *   form-encoded; `status=done&message=…`, what busybox `wget --post-data` sends): the booted system's
 *   callback, authenticated by its signature instead of the API token. A `GET` there changes nothing.
 * `:host` is a MAC (any spelling) or a host name. Credentials never appear in an answer.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Inventory, ResolvedHost } from '../../inventory/snapshot.js';
import { describeAction, LifecycleRequestError, type LifecycleService } from '../../lifecycle/service.js';
import type { LifecycleRecord, NextBootAction } from '../../lifecycle/state.js';
import { CALLBACK_PATH } from '../../lifecycle/callback-token.js';
import { parseMac } from '../../net/mac.js';
import { networkBootNow, powerClientFor, type PowerSettings } from '../../power/control.js';
import { PowerError, type PowerAction, type PowerClient, type PowerState } from '../../power/types.js';
import { ApiError } from '../errors.js';

/** What the lifecycle routes need. */
export interface LifecycleRouteDeps {
  lifecycle: LifecycleService;
  inventory: () => Inventory;
  power: PowerSettings;
  resolvePath?: (path: string) => string;
}

/** The route pattern of callbacks (public: the signature is the credential). */
export const CALLBACK_ROUTE = `${CALLBACK_PATH}/:mac/:boot/:signature`;

/** The same without a signature: answered (refused, audited) rather than left to a 404. */
export const UNSIGNED_CALLBACK_ROUTE = `${CALLBACK_PATH}/:mac/:boot`;

const HostParams = Type.Object({ host: Type.String({ minLength: 1, maxLength: 253, description: 'a MAC (any spelling) or a host name' }) });

const LifecycleViewSchema = Type.Object(
  {
    mac: Type.String(),
    hostname: Type.Optional(Type.String()),
    state: Type.Union(['idle', 'pending', 'booting', 'booted', 'disabled'].map((s) => Type.Literal(s))),
    action: Type.Optional(Type.String({ description: '`once: PROFILE`, `reinstall: PROFILE` or `netboot: disabled`' })),
    nextBoot: Type.Object({ profile: Type.Union([Type.String(), Type.Null()]), source: Type.String() }, { description: 'what the next network boot gets' }),
    bootId: Type.Optional(Type.String()),
    callbackOpen: Type.Boolean({ description: 'the boot may still call back (once)' }),
    attempts: Type.Integer({ description: 'retries of the armed action after an interrupted boot' }),
    fetched: Type.Array(Type.String(), { description: 'files of the action fetched to the end in this attempt' }),
    result: Type.Optional(Type.Object({ outcome: Type.String(), message: Type.Optional(Type.String()), bootId: Type.Optional(Type.String()), at: Type.Number() })),
    version: Type.Integer(),
    updatedAt: Type.Number(),
    updatedBy: Type.String(),
    bmc: Type.Union([Type.Object({ protocol: Type.String(), address: Type.String() }), Type.Null()], { description: 'the host\'s BMC (never its credentials)' }),
  },
  { additionalProperties: false },
);

const NextBootBody = Type.Object(
  {
    action: Type.Union([Type.Literal('once'), Type.Literal('reinstall'), Type.Literal('disabled')]),
    profile: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' })),
    power: Type.Optional(Type.Literal('cycle', { description: 'set the BMC\'s next boot to the network and power-cycle (or power on) the host now' })),
  },
  { additionalProperties: false },
);

const PowerBody = Type.Object(
  { action: Type.Union(['on', 'off', 'soft-off', 'cycle', 'network-boot-once'].map((a) => Type.Literal(a))) },
  { additionalProperties: false },
);

const CallbackBody = Type.Object(
  { status: Type.Union([Type.Literal('done'), Type.Literal('failed')]), message: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);

/** The view of a record (no secret: the callback signature is not part of it). */
function view(record: LifecycleRecord, host: ResolvedHost | undefined) {
  return {
    mac: record.mac,
    ...(host?.hostname !== undefined ? { hostname: host.hostname } : {}),
    state: record.state,
    ...(record.action ? { action: describeAction(record.action)! } : {}),
    nextBoot: {
      profile: host?.profile?.name ?? null,
      source: host === undefined ? 'not in the inventory' : host.profileSource.from === 'next-boot' ? `next boot: ${host.profileSource.reason}` : host.profileSource.from === 'group' ? `group ${host.profileSource.group}` : host.profileSource.from,
    },
    ...(record.bootId !== undefined ? { bootId: record.bootId } : {}),
    callbackOpen: record.callbackOpen,
    attempts: record.attempts,
    fetched: record.fetched,
    ...(record.result ? { result: record.result } : {}),
    version: record.version,
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
    bmc: host?.source.bmc ? { protocol: host.source.bmc.protocol, address: host.source.bmc.address } : null,
  };
}

/** Who made a request, for the audit trail. */
function requester(request: FastifyRequest): string {
  const via = request.headers['x-xenboot-client'];
  return `${typeof via === 'string' && /^[A-Za-z0-9:._@-]{1,64}$/.test(via) ? via : 'api'} from ${request.ip}`;
}

/** A power failure as an API error (502 refused, 504 no answer, 409 not configured). */
function powerApiError(error: unknown, prefix = ''): unknown {
  if (!(error instanceof PowerError)) return error;
  const code = error.code === 'unreachable' ? 'gateway-timeout' : error.code === 'not-configured' ? 'conflict' : 'bad-gateway';
  return new ApiError(code, `${prefix}${error.message}`);
}

/** Registers the lifecycle, power and callback routes. */
export function registerLifecycleRoutes(app: FastifyInstance, deps: LifecycleRouteDeps): void {
  const tags = ['lifecycle'];
  const hostOf = (text: string): ResolvedHost => {
    const inventory = deps.inventory();
    const mac = parseMac(text);
    const host = mac !== null ? inventory.hostByMac(mac) : inventory.hosts().find((h) => h.hostname === text || h.hostname?.split('.')[0] === text);
    if (!host) throw new ApiError('not-found', `${text} is not a host of the inventory (give its MAC or host name)`, 'host');
    return host;
  };
  const asApiError = (error: unknown): unknown => (error instanceof LifecycleRequestError ? new ApiError(error.code === 'not-found' ? 'not-found' : 'validation', error.message) : error);
  const client = (host: ResolvedHost) => powerClientFor(host.source.bmc, deps.power, deps.resolvePath);

  app.get('/api/v1/lifecycle', { schema: { tags, summary: 'Every host with a boot lifecycle record', response: { 200: Type.Array(LifecycleViewSchema) } } }, async () => {
    const inventory = deps.inventory();
    return deps.lifecycle.list().map((record) => view(record, inventory.hostByMac(record.mac)));
  });

  app.get<{ Params: { host: string } }>(
    '/api/v1/hosts/:host/lifecycle',
    { schema: { tags, summary: "A host's boot lifecycle: state, next-boot action, evidence, last result", params: HostParams, response: { 200: LifecycleViewSchema } } },
    async (request) => {
      const host = hostOf(request.params.host);
      const record = await deps.lifecycle.fresh(host.mac);
      return view(record, deps.inventory().hostByMac(host.mac));
    },
  );

  app.put<{ Params: { host: string }; Body: { action: 'once' | 'reinstall' | 'disabled'; profile?: string; power?: 'cycle' } }>(
    '/api/v1/hosts/:host/next-boot',
    {
      schema: {
        tags,
        summary: 'Arm a next-boot action (once, reinstall, netboot disabled); with power: cycle, boot the host into it now through its BMC',
        params: HostParams,
        body: NextBootBody,
        response: { 200: Type.Object({ lifecycle: LifecycleViewSchema, power: Type.Optional(Type.Object({ before: Type.String(), did: Type.String() })) }) },
      },
    },
    async (request) => {
      const host = hostOf(request.params.host);
      const body = request.body;
      if (body.action !== 'disabled' && body.profile === undefined) throw new ApiError('validation', `${body.action} needs a profile`, 'profile');
      if (body.action === 'disabled' && body.power !== undefined) throw new ApiError('validation', 'netboot disabled does not power-cycle into anything', 'power');
      // The BMC is asked for the power state before anything is armed: a request whose BMC is not
      // configured, does not answer or refuses the credentials changes nothing.
      let bmc: PowerClient | null = null;
      let state: PowerState | undefined;
      if (body.power === 'cycle') {
        try {
          bmc = client(host);
          state = await bmc.status();
        } catch (error) {
          throw powerApiError(error, 'nothing was armed: ');
        }
      }
      const action: NextBootAction = body.action === 'disabled' ? { kind: 'disabled' } : { kind: body.action, profile: body.profile! };
      let record: LifecycleRecord;
      try {
        record = await deps.lifecycle.arm(host.mac, action, requester(request));
      } catch (error) {
        throw asApiError(error);
      }
      if (bmc === null) return { lifecycle: view(record, deps.inventory().hostByMac(host.mac)) };
      let before: string;
      try {
        before = await networkBootNow(bmc, state);
      } catch (error) {
        throw powerApiError(error, `${describeAction(action)} is armed, but the power cycle failed: `);
      }
      return { lifecycle: view(record, deps.inventory().hostByMac(host.mac)), power: { before, did: before === 'on' ? 'network boot once, power cycle' : 'network boot once, power on' } };
    },
  );

  app.delete<{ Params: { host: string } }>(
    '/api/v1/hosts/:host/next-boot',
    { schema: { tags, summary: "Clear a host's next-boot action (it boots its own profile again)", params: HostParams, response: { 200: LifecycleViewSchema } } },
    async (request) => {
      const host = hostOf(request.params.host);
      try {
        return view(await deps.lifecycle.clear(host.mac, requester(request)), deps.inventory().hostByMac(host.mac));
      } catch (error) {
        throw asApiError(error);
      }
    },
  );

  app.get<{ Params: { host: string } }>(
    '/api/v1/hosts/:host/power',
    { schema: { tags, summary: "The host's power state, from its BMC", params: HostParams, response: { 200: Type.Object({ mac: Type.String(), protocol: Type.String(), state: Type.String() }) } } },
    async (request) => {
      const host = hostOf(request.params.host);
      try {
        const bmc = client(host);
        return { mac: host.mac, protocol: bmc.protocol, state: await bmc.status() };
      } catch (error) {
        throw powerApiError(error);
      }
    },
  );

  app.post<{ Params: { host: string }; Body: { action: PowerAction | 'network-boot-once' } }>(
    '/api/v1/hosts/:host/power',
    { schema: { tags, summary: 'Power on, off, soft-off or cycle a host, or set its next boot to the network, through its BMC', params: HostParams, body: PowerBody } },
    async (request) => {
      const host = hostOf(request.params.host);
      const action = request.body.action;
      try {
        const bmc = client(host);
        if (action === 'network-boot-once') await bmc.networkBootOnce();
        else await bmc.power(action);
        request.log.info({ mac: host.mac, action, by: requester(request) }, 'power action');
        return { mac: host.mac, protocol: bmc.protocol, did: action };
      } catch (error) {
        throw powerApiError(error);
      }
    },
  );

  // The booted system's callback. Its own scope takes form-encoded bodies (busybox wget --post-data).
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post<{ Params: { mac: string; boot: string; signature: string }; Body: { status: 'done' | 'failed'; message?: string } }>(
      CALLBACK_ROUTE,
      {
        schema: {
          tags,
          summary: "A booted system reports its boot done or failed; authenticated by the boot's signature (no token)",
          security: [],
          params: Type.Object({ mac: Type.String({ maxLength: 32 }), boot: Type.String({ maxLength: 64 }), signature: Type.String({ maxLength: 128 }) }),
          body: CallbackBody,
        },
      },
      async (request) => {
        const { mac, boot, signature } = request.params;
        const answer = await deps.lifecycle.callback({ mac, bootId: boot, signature, status: request.body.status, ...(request.body.message !== undefined ? { message: request.body.message } : {}), from: request.ip });
        if (!answer.accepted) throw new ApiError('forbidden', `callback refused (${answer.refused}): ${answer.reason}`);
        return { accepted: true, state: answer.record.state, result: answer.record.result?.outcome };
      },
    );
    scope.post<{ Params: { mac: string; boot: string }; Body: { status: 'done' | 'failed'; message?: string } }>(
      UNSIGNED_CALLBACK_ROUTE,
      { schema: { hide: true, params: Type.Object({ mac: Type.String({ maxLength: 32 }), boot: Type.String({ maxLength: 64 }) }), body: CallbackBody } },
      async (request) => {
        const answer = await deps.lifecycle.callback({ mac: request.params.mac, bootId: request.params.boot, signature: undefined, status: request.body.status, from: request.ip });
        throw new ApiError('forbidden', `callback refused (${answer.accepted ? 'unsigned' : answer.refused}): ${answer.accepted ? 'no signature' : answer.reason}`);
      },
    );
    scope.get(CALLBACK_ROUTE, { schema: { hide: true } }, async () => {
      throw new ApiError('method-not-allowed', 'a callback is a POST of {status: done|failed}; a GET changes nothing');
    });
  });
}
