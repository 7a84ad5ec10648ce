/**
 * Schema of the `http` config section.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ipv4, Port, StrictObject } from '../config/types.js';

/** The `http` section: the API, boot scripts and file downloads. */
export const HttpConfigSchema = StrictObject(
  {
    enabled: Type.Boolean({ default: true }),
    address: Type.Optional(Type.Union([Ipv4, Type.Literal('0.0.0.0')], { description: 'listen address (default: server.address)' })),
    port: Type.Union([Port, Type.Literal(0)], { default: 8080, description: '0 picks a free port' }),
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'base URL clients use (default: http://<server.address>:<port>)' })),
  },
  { description: 'HTTP server (fastify)' },
);

/** The validated `http` section. */
export type HttpConfig = Static<typeof HttpConfigSchema>;
