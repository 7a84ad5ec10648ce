/**
 * Bearer-token access control for the API. Changes always need the token; reads need it too unless
 * `http.readAccess: open` (the default is `token`: the inventory, leases and timelines say which machine
 * boots what, with which kernel arguments, and the boot network is shared with every machine on it).
 * Tokens are compared in constant time (both sides hashed to the same length first, so neither the
 * content nor the length of the configured token leaks through timing).
 *
 * The guards are attached to routes, not to URL strings (`installAccessControl`): every route under
 * `/api/` gets the read guard (GET, HEAD) or the write guard (any other method) as its first `onRequest`
 * hook, which fastify runs after routing and before the body is read. However the URL is spelled
 * (`/api/v1/%65xplain`, absolute form), the route it reaches carries its guard, and an unauthenticated
 * 16 MiB body is refused before a byte of it is parsed.
 *
 * Answers: no or malformed `Authorization` header → 401 `unauthorized` (with `WWW-Authenticate`);
 * a wrong token → 403 `forbidden`; a change, or a read under `readAccess: token`, while no token is
 * configured → 403 naming the config keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import type { HttpConfig } from './config.js';
import { ApiError } from './errors.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** True when `given` equals `expected`, in time independent of where they differ. */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Extracts the token from `Authorization: Bearer <token>`; `null` when absent or another scheme. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** The two guards: one for reads, one for changes. */
export interface AccessGuards {
  read: onRequestAsyncHookHandler;
  write: onRequestAsyncHookHandler;
}

/** Builds the guards for the configured token and read policy. */
export function accessGuards(config: Pick<HttpConfig, 'token' | 'readAccess'>): AccessGuards {
  const check = (request: FastifyRequest, reply: FastifyReply, forWrite: boolean) => {
    if (config.token === undefined) {
      if (forWrite) throw new ApiError('forbidden', 'the API is read-only: set http.token in the config to allow changes');
      throw new ApiError('forbidden', 'API reads need a token: set http.token in the config (or http.readAccess: open to let anyone read)');
    }
    const given = bearerToken(request);
    if (given === null) {
      void reply.header('www-authenticate', 'Bearer realm="xenboot"');
      throw new ApiError('unauthorized', 'this request needs "Authorization: Bearer <token>"');
    }
    if (!tokensMatch(given, config.token)) throw new ApiError('forbidden', 'wrong token');
  };
  return {
    async read(request, reply) {
      if (config.readAccess === 'token') check(request, reply, false);
    },
    async write(request, reply) {
      check(request, reply, true);
    },
  };
}

/** How a route is guarded: `public` routes (boot files clients fetch) need nothing. */
export type RouteAccess = 'public' | 'read' | 'write';

/** The access a route gets: API routes need read (GET, HEAD) or write access; everything else is public. */
export function routeAccess(method: string, url: string, publicApiRoutes: ReadonlySet<string>): RouteAccess {
  if (!/^\/api(\/|$)/.test(url) || publicApiRoutes.has(url)) return 'public';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * Attaches the guards to every route registered after this call, by its route pattern and method
 * (`routeAccess`), as the first `onRequest` hook. `publicApiRoutes` lists API route patterns that boot
 * clients call without a token (`/api/v1/boot-spec/:mac`, fetched by xenboot-pvboot).
 */
export function installAccessControl(app: FastifyInstance, guards: AccessGuards, publicApiRoutes: readonly string[]): void {
  const open = new Set(publicApiRoutes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const accesses = new Set(methods.map((method) => routeAccess(method, route.url, open)));
    if (accesses.has('public') && accesses.size === 1) return;
    // A route with several methods (rare) gets the strictest guard among them.
    const guard = accesses.has('write') ? guards.write : guards.read;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard as onRequestHookHandler, ...(existing as onRequestHookHandler[])];
  });
}
