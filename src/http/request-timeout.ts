/**
 * A deadline for receiving a request: from routing (`onRequest`) until its body has been read
 * (`preHandler`), a client has `http.requestTimeout` seconds; a connection still sending then is
 * destroyed. Node's own `server.requestTimeout` did not close a connection that had sent its headers and
 * was dripping its body (Node 20, tried here), so the deadline is kept per request. Slow headers are
 * Node's `headersTimeout` (60 s).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/** Installs the deadline on every route of `app`. */
export function installRequestTimeout(app: FastifyInstance, seconds: number): void {
  const clear = async (request: FastifyRequest) => {
    clearTimeout(timers.get(request));
    timers.delete(request);
  };
  app.addHook('onRequest', async (request) => {
    const timer = setTimeout(() => {
      request.log.warn({ client: request.ip, seconds }, 'request not received in time: connection closed');
      request.raw.socket.destroy();
    }, seconds * 1000);
    timer.unref();
    timers.set(request, timer);
  });
  app.addHook('preHandler', clear);
  app.addHook('onResponse', clear);
  app.addHook('onRequestAbort', clear);
  app.addHook('onError', clear);
}
