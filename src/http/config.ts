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
    token: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 4096,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'bearer token for API changes (printable ASCII, at least 16 characters); without it the API is read-only',
      }),
    ),
    readAccess: Type.Union([Type.Literal('open'), Type.Literal('token')], {
      default: 'token',
      description: 'token: API reads need the bearer token too (without http.token they are refused); open: anyone who reaches the port may read the inventory, leases and timelines',
    }),
    requestTimeout: Type.Number({
      minimum: 1,
      maximum: 3600,
      default: 30,
      description: 'seconds a client has to send a whole request (headers and body); slower connections are closed',
    }),
    docs: Type.Boolean({ default: true, description: 'serve the OpenAPI document at /openapi.json and interactive docs at /docs' }),
  },
  { description: 'HTTP server (fastify)' },
);

/** The validated `http` section. */
export type HttpConfig = Static<typeof HttpConfigSchema>;
