/**
 * API errors: every failure leaves as JSON `{ statusCode, code, message, path?, problems? }`, where `code`
 * is a stable word a client can switch on and `path` names the offending field (`hosts[3].ip`).
 * The error handler maps validation failures, store conflicts and content refusals onto these.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pointerToPath } from '../config/paths.js';
import type { ConfigProblem } from '../config/types.js';
import { ContentDenied } from '../content/types.js';
import { StoreConflictError, StoreInputError, StoreNotFoundError } from '../store/errors.js';

/** Stable error codes and their HTTP status. */
export const errorStatus = {
  'bad-request': 400,
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'range-not-satisfiable': 416,
  'missing-reference': 422,
  internal: 500,
  /** A BMC refused or failed a power request. */
  'bad-gateway': 502,
  unavailable: 503,
  /** A BMC did not answer. */
  'gateway-timeout': 504,
} as const;

/** An error code. */
export type ErrorCode = keyof typeof errorStatus;

/** The JSON body of every error response. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  /** The field at fault, in `a.b[2].c` form, when one is. */
  path?: string;
  /** Every problem found, when there are several. */
  problems?: ConfigProblem[];
}

/** An error the API answers with as is. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
    readonly problems?: ConfigProblem[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = errorStatus[code];
  }

  /** The response body. */
  toBody(): ErrorBody {
    const body: ErrorBody = { statusCode: this.statusCode, code: this.code, message: this.message };
    if (this.path !== undefined) body.path = this.path;
    if (this.problems !== undefined && this.problems.length > 0) body.problems = this.problems;
    return body;
  }
}

/** A 400 listing schema problems; the first one gives `path` and `message`. */
export function validationError(problems: ConfigProblem[]): ApiError {
  const first = problems[0]!;
  return new ApiError('validation', `${first.path}: ${first.message}`, first.path, problems);
}

/** Prefixes a field with a batch position (`hosts[3]` + `ip` → `hosts[3].ip`). */
export function joinPath(prefix: string | undefined, field: string): string {
  if (!prefix) return field;
  return field === '' ? prefix : `${prefix}.${field}`;
}

/** Translates any thrown error into an `ApiError` (unknown ones become a 500 with no details leaked). */
export function toApiError(error: unknown, batchPrefix?: (index: number) => string): ApiError {
  if (error instanceof ApiError) return error;
  const prefix = (index: number) => (batchPrefix ? batchPrefix(index) : undefined);
  if (error instanceof StoreConflictError) return new ApiError('conflict', error.message, joinPath(prefix(error.index), error.field));
  if (error instanceof StoreNotFoundError) return new ApiError('not-found', error.message, prefix(error.index));
  if (error instanceof StoreInputError) return new ApiError('validation', error.message, joinPath(prefix(error.index), error.field));
  if (error instanceof ContentDenied) return new ApiError('forbidden', error.message);
  const e = error as FastifyError;
  if (Array.isArray(e.validation)) {
    const context = e.validationContext ?? 'body';
    const problems = e.validation.map((v) => ({
      path: joinPath(context === 'body' ? '' : context, joinPath(pointerToPath(v.instancePath), (v.params as { missingProperty?: string })?.missingProperty ?? '')),
      message: v.message ?? 'is invalid',
    }));
    return validationError(problems);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported-media-type', e.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload-too-large', e.message);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = (Object.entries(errorStatus).find(([, status]) => status === e.statusCode)?.[0] ?? 'bad-request') as ErrorCode;
    return new ApiError(code, e.message);
  }
  return new ApiError('internal', 'internal error');
}

/** Installs the JSON error handler and the JSON 404 handler. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error);
    if (apiError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: apiError.code, path: apiError.path }, apiError.message);
    return reply.status(apiError.statusCode).type('application/json').send(apiError.toBody());
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const body = new ApiError('not-found', `no route for ${request.method} ${request.url.split('?')[0]}`).toBody();
    return reply.status(404).type('application/json').send(body);
  });
}
