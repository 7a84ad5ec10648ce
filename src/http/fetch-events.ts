/**
 * Every HTTP response on a boot path (anything outside the API, docs, health and metrics) becomes an
 * `HttpFetchEvent` on the bus, so the machine timeline shows script, config and kernel fetches next to
 * DHCP and TFTP. Every response, boot path or not, is counted in the metrics by route pattern.
 */
import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../events/bus.js';
import type { HttpFetchEvent } from '../events/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseMac } from '../net/mac.js';

const NOT_BOOT = /^\/(api|docs|openapi\.json|metrics|healthz|readyz)(\/|$|\?)/;

/** True when a request URL is a boot fetch (a file, script or generated config). */
export function isBootPath(url: string): boolean {
  return !NOT_BOOT.test(url);
}

/** Adds the onResponse hook. */
export function registerFetchEvents(app: FastifyInstance, bus: EventBus, metrics?: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const url = request.raw.url ?? '/';
    const durationMs = reply.elapsedTime;
    metrics?.observeHttp(request.method, request.routeOptions.url ?? '(unmatched)', reply.statusCode, durationMs);
    if (!isBootPath(url)) return;
    const length = Number(reply.getHeader('content-length') ?? 0);
    const event: HttpFetchEvent = {
      kind: 'http',
      at: Date.now(),
      ip: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      method: request.method,
      path: url,
      status: reply.statusCode,
      // A HEAD or an aborted download did not send the whole length.
      bytes: request.method === 'HEAD' || !reply.raw.writableEnded ? 0 : Number.isFinite(length) ? length : 0,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    const macQuery = /[?&]mac=([^&#]+)/.exec(url)?.[1];
    if (macQuery !== undefined) {
      const mac = parseMac(decodeURIComponentSafe(macQuery));
      if (mac) event.mac = mac;
    }
    bus.emit(event);
  });
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
