/**
 * Bearer-token access control for the API. Changes always need the token; reads need it only with
 * `http.readAccess: token`. Tokens are compared in constant time (both sides hashed to the same length
 * first, so neither the content nor the length of the configured token leaks through timing).
 *
 * Answers: no or malformed `Authorization` header → 401 `unauthorized` (with `WWW-Authenticate`);
 * a wrong token → 403 `forbidden`; a change while no token is configured → 403 (the API is read-only).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
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

/** The two guards routes use: one for reads, one for changes. */
export interface AccessGuards {
  read: preHandlerAsyncHookHandler;
  write: preHandlerAsyncHookHandler;
}

/** Builds the guards for the configured token and read policy. */
export function accessGuards(config: Pick<HttpConfig, 'token' | 'readAccess'>): AccessGuards {
  const check = (request: FastifyRequest, reply: FastifyReply, forWrite: boolean) => {
    if (config.token === undefined) {
      if (forWrite) throw new ApiError('forbidden', 'the API is read-only: set http.token in the config to allow changes');
      return;
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
