/**
 * `/api/v1/leases`: list with filters, read one, release. Releasing frees the address at once (the row
 * stays, state `released`, until housekeeping prunes it).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { isIpv4 } from '../../net/ipv4.js';
import type { Lease, LeaseStore } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { MacText, Ipv4 } from '../../config/types.js';
import { parseMac } from '../../net/mac.js';

const LeaseQuery = Type.Object(
  {
    mac: Type.Optional(MacText),
    ip: Type.Optional(Ipv4),
    state: Type.Optional(Type.Union(['offered', 'bound', 'released', 'declined'].map((s) => Type.Literal(s)))),
    active: Type.Optional(Type.Boolean({ description: 'true: only unexpired leases; false: only expired ones' })),
  },
  { additionalProperties: false },
);

/** A lease as the API shows it: the stored row plus whether it is still in force. */
export type LeaseView = Lease & { active: boolean };

function view(lease: Lease, now: number): LeaseView {
  return { ...lease, active: lease.expiresAt > now };
}

/** Registers the lease routes. */
export function registerLeaseRoutes(app: FastifyInstance, leases: LeaseStore, now: () => number = Date.now): void {
  const tags = ['leases'];
  app.get<{ Querystring: { mac?: string; ip?: string; state?: string; active?: boolean } }>(
    '/api/v1/leases',
    { schema: { tags, summary: 'List leases, optionally filtered', querystring: LeaseQuery } },
    async (request) => {
      const { ip, state, active } = request.query;
      const mac = request.query.mac === undefined ? undefined : parseMac(request.query.mac)!;
      const t = now();
      return (await leases.listLeases())
        .filter((l) => (mac === undefined || l.mac === mac) && (ip === undefined || l.ip === ip) && (state === undefined || l.state === state))
        .filter((l) => active === undefined || l.expiresAt > t === active)
        .map((l) => view(l, t));
    },
  );

  app.get<{ Params: { ip: string } }>(
    '/api/v1/leases/:ip',
    { schema: { tags, summary: 'Read the lease of an address', params: Type.Object({ ip: Ipv4 }) } },
    async (request) => {
      const lease = await leases.getLeaseByIp(request.params.ip);
      if (lease === null) throw new ApiError('not-found', `no lease for ${request.params.ip}`, 'params.ip');
      return view(lease, now());
    },
  );

  app.delete<{ Params: { ip: string } }>(
    '/api/v1/leases/:ip',
    { schema: { tags, summary: 'Release the lease of an address (frees it now)', params: Type.Object({ ip: Ipv4 }) } },
    async (request) => {
      const { ip } = request.params;
      if (!isIpv4(ip)) throw new ApiError('validation', `${ip} is not an IPv4 address`, 'params.ip');
      const lease = await leases.getLeaseByIp(ip);
      if (lease === null) throw new ApiError('not-found', `no lease for ${ip}`, 'params.ip');
      const t = now();
      await leases.releaseLease(lease.mac, ip, t);
      return view((await leases.getLeaseByIp(ip)) ?? lease, t);
    },
  );
}
