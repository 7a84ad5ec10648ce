/**
 * The boot timeline of a machine: `GET /api/v1/machines/:mac/timeline` (also `/api/machines/:mac/timeline`)
 * returns its stored events oldest first; `…/timeline/stream` and `/api/v1/events/stream?mac=` push new
 * ones as server-sent events (`event: dhcp|tftp|http`, `data: <event JSON>`), with a comment line every
 * 15 s to keep proxies from closing the connection. A stream whose client falls `MAX_STREAM_BACKLOG`
 * bytes behind is closed (writes never wait for a reader, so nothing else bounds the buffer).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BootEvent } from '../../timeline/types.js';
import { parseMac } from '../../net/mac.js';
import type { RecordedEventListener } from '../../timeline/recorder.js';
import type { EventLog } from '../../store/types.js';
import { ApiError } from '../errors.js';

/** Most live streams open at once; more are refused with 503 (each holds a connection and a listener). */
export const MAX_LIVE_STREAMS = 256;

/**
 * Bytes a live stream may have waiting in its socket's buffer (beyond what the kernel took). A client
 * that reads slower than events arrive passes it and is cut off, so all streams together hold at most
 * `MAX_LIVE_STREAMS × MAX_STREAM_BACKLOG` (64 MiB) in this process, whatever clients do. An SSE client
 * that reconnects asks for the timeline to catch up.
 */
export const MAX_STREAM_BACKLOG = 256 * 1024;

/** Where live events come from (the event recorder, after MAC enrichment). */
export interface LiveEvents {
  subscribe(listener: RecordedEventListener): () => void;
}

const TimelineQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'only events at or after this time (ms since the epoch)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'at most this many (the newest), oldest first' })),
  },
  { additionalProperties: false },
);

function macParam(raw: string, path = 'params.mac'): string {
  const mac = parseMac(raw);
  if (mac === null) throw new ApiError('validation', `${raw} is not a MAC address`, path);
  return mac;
}

/** Registers the timeline routes and the live streams; open streams are ended when the app closes. */
export function registerTimelineRoutes(app: FastifyInstance, events: EventLog, live: LiveEvents | undefined): void {
  const tags = ['timeline'];
  type TimelineRequest = { Params: { mac: string }; Querystring: { since?: number; limit?: number } };
  const timeline = async (request: FastifyRequest<TimelineRequest>) => {
    const mac = macParam(request.params.mac);
    const query: { mac: string; since?: number; limit?: number } = { mac };
    if (request.query.since !== undefined) query.since = request.query.since;
    if (request.query.limit !== undefined) query.limit = request.query.limit;
    return { mac, events: await events.listEvents(query) };
  };
  const schema = { tags, summary: 'Boot events of one machine, oldest first', params: Type.Object({ mac: Type.String() }), querystring: TimelineQuery };
  app.get<TimelineRequest>('/api/v1/machines/:mac/timeline', { schema }, timeline);
  app.get<TimelineRequest>('/api/machines/:mac/timeline', { schema: { ...schema, summary: 'Same as /api/v1/machines/:mac/timeline' } }, timeline);

  if (!live) return;
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  const stream = (request: FastifyRequest, reply: FastifyReply, mac: string | undefined) => {
    if (streams.size >= MAX_LIVE_STREAMS) throw new ApiError('unavailable', `${MAX_LIVE_STREAMS} live streams are open already; try again later`);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write(`: xenboot live events${mac ? ` for ${mac}` : ''}\n\n`);
    // Writes past the backlog limit cut the client off: destroy() frees the buffer at once, where end()
    // would keep it until a reader that is not reading drained it.
    const write = (text: string) => {
      if (raw.destroyed) return;
      if (raw.writableLength + text.length > MAX_STREAM_BACKLOG) {
        request.log.warn({ backlog: raw.writableLength, client: request.ip }, 'live event stream closed: the client reads too slowly');
        end(true);
        return;
      }
      raw.write(text);
    };
    const send = (event: BootEvent) => {
      if (mac !== undefined && event.mac !== mac) return;
      write(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = live.subscribe(send);
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), 15_000);
    const end = (behind = false) => {
      if (!streams.delete(end)) return;
      unsubscribe();
      clearInterval(keepAlive);
      if (behind) raw.destroy();
      else raw.end();
    };
    streams.add(end);
    request.raw.on('close', () => end());
  };

  app.get<{ Params: { mac: string } }>(
    '/api/v1/machines/:mac/timeline/stream',
    { schema: { tags, summary: 'Live boot events of one machine (server-sent events)', params: Type.Object({ mac: Type.String() }) } },
    async (request, reply) => stream(request, reply, macParam(request.params.mac)),
  );
  app.get<{ Querystring: { mac?: string } }>(
    '/api/v1/events/stream',
    {
      schema: { tags, summary: 'Live boot events of every machine, or of one with ?mac= (server-sent events)', querystring: Type.Object({ mac: Type.Optional(Type.String()) }) },
    },
    async (request, reply) => stream(request, reply, request.query.mac === undefined ? undefined : macParam(request.query.mac, 'query.mac')),
  );
}
