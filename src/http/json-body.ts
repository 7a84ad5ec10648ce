/**
 * The JSON body parser: fastify's own (prototype-poisoning checks included), behind a nesting limit. A
 * body nested deeper than `MAX_JSON_DEPTH` is refused with 400 before `JSON.parse` builds it: deep
 * nesting is never a real inventory document, and walking such a value later (validation, error
 * messages) overflowed the stack and answered 500.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

/** Deepest array/object nesting accepted in a JSON body (an inventory document needs fewer than 10). */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of `[` and `{` in JSON text, stopping as soon as it passes `limit`. Brackets inside
 * strings do not count. One pass, no allocation: it runs before the text is parsed.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** Replaces the `application/json` parser with the depth-limited one. */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, MAX_JSON_DEPTH)) {
      done(new ApiError('bad-request', `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
