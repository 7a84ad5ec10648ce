/**
 * One TypeBox validation error as a problem an operator understands (`{ path, message }`), worded the
 * same for the config file and for API input: an unknown key, a missing key, a format by its name, a
 * pattern by its description, a union of literals as the list of allowed values. Where the problem is
 * reported (`dhcp.ranges[1].start`, `hosts[0].ip`) is the caller's: see `pointerToPath`.
 */
import { ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { formatNames } from '../net/formats.js';
import type { ConfigProblem } from './types.js';

/** A value as a message shows it: JSON, cut to 60 characters; `nothing` when there is none. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Turns one TypeBox error into a sentence, reported at `path`. */
export function problemFromSchemaError(error: ValueError, path: string): ConfigProblem {
  const { value, schema } = error;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return { path, message: 'unknown key' };
    case ValueErrorType.ObjectRequiredProperty:
      return { path, message: 'is required' };
    case ValueErrorType.StringFormat: {
      const shown = typeof value === 'string' ? value : describeValue(value);
      return { path, message: `${shown} is not ${formatNames[schema.format as string] ?? `in ${schema.format} format`}` };
    }
    case ValueErrorType.StringPattern:
      // The pattern is shown as written (lower-casing would turn \S into \s), with its description when it has one.
      return { path, message: `${describeValue(value)} is not ${(schema.description as string | undefined) ?? `matching ${schema.pattern}`}` };
    case ValueErrorType.Union: {
      const literals = (schema.anyOf as Array<{ const?: unknown }> | undefined)
        ?.map((s) => s.const)
        .filter((c) => c !== undefined);
      if (literals && literals.length === (schema.anyOf as unknown[]).length) {
        return { path, message: `must be one of ${literals.map((l) => JSON.stringify(l)).join(', ')} (got ${describeValue(value)})` };
      }
      const formats = (schema.anyOf as Array<{ format?: string }> | undefined)?.map((s) => s.format).filter(Boolean);
      if (formats && formats.length > 0 && typeof value === 'string') {
        return { path, message: `${value} is not ${formatNames[formats[0]!] ?? formats[0]}` };
      }
      return { path, message: `${error.message.toLowerCase()} (got ${describeValue(value)})` };
    }
    default:
      return { path, message: `${error.message.toLowerCase()} (got ${describeValue(value)})` };
  }
}
