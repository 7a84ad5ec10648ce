/**
 * Every HTTP response on a boot path (anything outside the API, docs, health and metrics) becomes an
 * `HttpFetchEvent` on the bus, so the machine timeline shows script, config and kernel fetches next to
 * DHCP and TFTP. Every response, boot path or not, is counted in the metrics by route pattern.
 */
import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../timeline/bus.js';
import type { HttpFetchEvent } from '../timeline/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { macFromName } from '../timeline/enricher.js';
import { isServicePath } from './service-paths.js';

/** The console's page and assets (`src/http/ui/routes.ts`): an operator's browser, not a boot. */
const CONSOLE = /^\/(\?|$)|^\/ui\/main\.(js|css)(\?|$)/;
// xenboot-pvboot asks the API for a domU's boot spec: that is a boot step too.
const BOOT_API = /^\/api\/v1\/boot-spec\//;

/** True when a request URL is a boot fetch (a file, script, generated config or pvboot boot spec). */
export function isBootPath(url: string): boolean {
  return BOOT_API.test(url) || !(isServicePath(url) || CONSOLE.test(url));
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
    const mac = macFromName(url);
    if (mac !== undefined) event.mac = mac;
    bus.emit(event);
  });
}
