/**
 * `GET /api/v1/transfers/active`: the TFTP and HTTP transfers running now, with the bytes moved so far,
 * the size and the current rate (the console's Overview polls it every second). Finished transfers are
 * in the timeline and in `GET /api/v1/overview`.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ActiveTransfers } from '../../timeline/active-transfers.js';

/** One running transfer, as the API documents it. */
export const ActiveTransferSchema = Type.Object(
  {
    id: Type.String({ description: 'unique while the transfer runs' }),
    via: Type.Union([Type.Literal('tftp'), Type.Literal('http')]),
    file: Type.String({ description: 'the file name as the TFTP client sent it, or the URL path' }),
    ip: Type.String({ description: "the client's address" }),
    port: Type.Integer({ description: "the client's port" }),
    size: Type.Integer({ minimum: 0, description: 'bytes to send (the file, or the requested range)' }),
    bytes: Type.Integer({ minimum: 0, description: 'bytes acknowledged by the TFTP client, or handed to the socket for HTTP, so far' }),
    startedAt: Type.Number({ description: 'ms since the epoch' }),
    rate: Type.Integer({ description: 'bytes per second over the last second or so' }),
  },
  { additionalProperties: false },
);

/** The answer. */
export const ActiveTransfersSchema = Type.Object(
  {
    at: Type.Number({ description: 'server time of the answer, ms since the epoch' }),
    transfers: Type.Array(ActiveTransferSchema, { description: 'oldest first' }),
  },
  { additionalProperties: false },
);

/** The answer of `GET /api/v1/transfers/active`. */
export type ActiveTransferList = Static<typeof ActiveTransfersSchema>;

/** Registers `GET /api/v1/transfers/active`. */
export function registerActiveTransfersRoute(app: FastifyInstance, active: ActiveTransfers, now: () => number = Date.now): void {
  app.get(
    '/api/v1/transfers/active',
    { schema: { tags: ['machines'], summary: 'TFTP and HTTP transfers running now, with bytes so far, size and rate', response: { 200: ActiveTransfersSchema } } },
    async () => {
      const answer: ActiveTransferList = { at: now(), transfers: active.list() };
      return answer;
    },
  );
}
