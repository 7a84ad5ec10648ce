/**
 * `GET /api/v1/dhcp/rogue-servers`: the other DHCP servers xenboot has seen on its boot networks
 * (`dhcp.rogueDetection`, docs/dhcp.md), with how each was noticed, and the detection settings in force.
 * The console's Overview shows a banner from it. The source is the DHCP part's watch, handed in by the
 * composition root as a plain function, so this route knows no DHCP code.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const Via = Type.Union([Type.Literal('probe'), Type.Literal('client-port'), Type.Literal('server-port')], {
  description: 'probe: answered xenboot’s DISCOVER; client-port: a broadcast reply seen on port 68; server-port: seen on port 67 (a client’s REQUEST naming it, or a reply)',
});

/** One other server. */
export const RogueServerSchema = Type.Object(
  {
    serverId: Type.String({ description: 'its server identifier (option 54), or the source address of a reply that had none' }),
    firstSeen: Type.Number({ description: 'ms since the epoch' }),
    lastSeen: Type.Number({ description: 'ms since the epoch' }),
    sightings: Type.Integer({ minimum: 1, description: 'messages seen from it or naming it' }),
    via: Type.Array(Via, { description: 'how it was noticed' }),
    sourceIps: Type.Array(Type.String(), { description: 'UDP source addresses of its replies (at most 8)' }),
    lastMessageType: Type.String({ description: 'OFFER, ACK, NAK, BOOTP (its replies) or REQUEST, DECLINE, RELEASE (a client naming it)' }),
    lastClientMac: Type.Optional(Type.String({ description: 'the client of the last message' })),
    lastOffered: Type.Optional(Type.String({ description: 'the last address it offered or acknowledged' })),
    bootFile: Type.Optional(Type.String({ description: 'the last boot file it announced' })),
    nextServer: Type.Optional(Type.String({ description: 'the last siaddr (TFTP server) it announced' })),
  },
  { additionalProperties: false },
);

/** The answer. */
export const RogueServersSchema = Type.Object(
  {
    at: Type.Number({ description: 'server time of the answer, ms since the epoch' }),
    detection: Type.Object(
      {
        enabled: Type.Boolean({ description: 'false when DHCP is off: nothing is watched' }),
        passive: Type.Union([Type.Literal('off'), Type.Literal('server-port'), Type.Literal('client-port')]),
        active: Type.Boolean(),
        intervalSeconds: Type.Integer(),
        probeMac: Type.String(),
        allowedServers: Type.Array(Type.String()),
        clientPort: Type.Union([Type.Literal('off'), Type.Literal('bound'), Type.Literal('unavailable')], { description: 'the port-68 watch' }),
        clientPortError: Type.Optional(Type.String({ description: 'why port 68 could not be bound' })),
        probesSent: Type.Integer({ minimum: 0 }),
        lastProbeAt: Type.Optional(Type.Number({ description: 'ms since the epoch' })),
      },
      { additionalProperties: false },
    ),
    servers: Type.Array(RogueServerSchema, { description: 'the most recently seen first; servers silent for a day are forgotten' }),
  },
  { additionalProperties: false },
);

/** The answer of `GET /api/v1/dhcp/rogue-servers`. */
export type RogueServersAnswer = Static<typeof RogueServersSchema>;

/** Where the answer comes from: the DHCP part's watch, or nothing when DHCP is off. */
export type RogueServersSource = () => Omit<RogueServersAnswer, 'at'> | null;

/** The answer while DHCP is off. */
function disabled(): Omit<RogueServersAnswer, 'at'> {
  return {
    detection: { enabled: false, passive: 'off', active: false, intervalSeconds: 0, probeMac: '', allowedServers: [], clientPort: 'off', probesSent: 0 },
    servers: [],
  };
}

/** Registers `GET /api/v1/dhcp/rogue-servers`. */
export function registerRogueServersRoute(app: FastifyInstance, source: RogueServersSource, now: () => number = Date.now): void {
  app.get(
    '/api/v1/dhcp/rogue-servers',
    { schema: { tags: ['dhcp'], summary: 'Other DHCP servers seen on the boot networks, and how they were noticed', response: { 200: RogueServersSchema } } },
    async () => {
      const answer: RogueServersAnswer = { at: now(), ...(source() ?? disabled()) };
      return answer;
    },
  );
}
