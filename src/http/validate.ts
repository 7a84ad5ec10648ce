/**
 * Schema validation for API input with TypeBox (the same schemas the config file uses), turning errors
 * into `{ path, message }` problems worded like config errors. Defaults are filled in before checking, so
 * what is stored is what the boot path reads. Also the fastify validator compiler for params and queries.
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import { GroupSchema, HostSchema, PROFILE_KINDS, profileSchemaByKind } from '../inventory/model.js';
import { pointerToPath } from '../config/paths.js';
import { describeValue, problemFromSchemaError } from '../config/schema-problem.js';
import type { ConfigProblem } from '../config/types.js';
import type { InventoryKind } from '../store/types.js';
import { joinPath, validationError } from './errors.js';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

/** Validates `value` against `schema`; returns the value with defaults filled in, or every problem (one per path). */
function validateValue<T>(schema: TSchema, value: unknown, prefix = ''): { ok: true; value: T } | { ok: false; problems: ConfigProblem[] } {
  const withDefaults = Value.Default(schema, Value.Clone(value));
  const check = checker(schema);
  if (check.Check(withDefaults)) return { ok: true, value: withDefaults as T };
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of check.Errors(withDefaults)) {
    const problem = problemFromSchemaError(error, joinPath(prefix, pointerToPath(error.path)) || '(body)');
    if (seen.has(problem.path)) continue;
    seen.add(problem.path);
    problems.push(problem);
  }
  return { ok: false, problems };
}

/**
 * Validates one inventory document of `kind`. A profile is checked against the schema of its `kind`
 * (so the problems are about that kind's fields, not a union's every branch).
 */
export function validateDocument(kind: InventoryKind, value: unknown, prefix = ''): { ok: true; value: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problems: [{ path: prefix || '(body)', message: `must be an object (got ${describeValue(value)})` }] };
  }
  if (kind === 'hosts') return validateValue(HostSchema, value, prefix);
  if (kind === 'groups') return validateValue(GroupSchema, value, prefix);
  const profileKind = (value as { kind?: unknown }).kind;
  if (typeof profileKind !== 'string' || !(PROFILE_KINDS as readonly string[]).includes(profileKind)) {
    return {
      ok: false,
      problems: [{ path: joinPath(prefix, 'kind'), message: `must be one of ${PROFILE_KINDS.map((k) => JSON.stringify(k)).join(', ')} (got ${describeValue(profileKind)})` }],
    };
  }
  return validateValue(profileSchemaByKind[profileKind as keyof typeof profileSchemaByKind], value, prefix);
}

/** Fastify validator compiler over TypeBox (params, query strings, simple bodies); paths start with the part (`query.limit`). */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const prefix = httpPart === 'querystring' ? 'query' : httpPart === 'body' ? '' : (httpPart ?? '');
  // Inventory bodies are validated by their handler (per profile kind, defaults filled); the schema documents them.
  if ((schema as { 'x-validated-by'?: string })['x-validated-by'] === 'handler') return (data: unknown) => ({ value: data });
  // Query strings and params arrive as text: convert `"true"`/`"10"` to the schema's types first.
  const convert = httpPart === 'querystring' || httpPart === 'params';
  return (data: unknown) => {
    const input = convert ? Value.Convert(schema, Value.Clone(data ?? {})) : (data ?? {});
    const result = validateValue(schema, input, prefix);
    return result.ok ? { value: result.value } : { error: validationError(result.problems) };
  };
};
