/**
 * Reading and validating the config file: parse (YAML or JSON), fill defaults, validate against the
 * schema, run cross-field checks, resolve paths and ports, freeze. Every problem is collected and
 * reported together; nothing here exits the process (only `cli.ts` does).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { runConfigChecks } from './checks.js';
import { pointerToPath } from './paths.js';
import { ConfigSchema, type Config } from './schema.js';
import { describeValue, problemFromSchemaError } from './schema-problem.js';
import type { ConfigProblem } from './types.js';

/** Thrown when a config cannot be used; carries every problem found. */
export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly source: string | null,
  ) {
    super(formatProblems(problems, source));
    this.name = 'ConfigError';
  }
}

/** Options that do not come from the file itself. */
export interface BuildConfigOptions {
  /** Directory relative paths resolve against. */
  baseDir: string;
  /** File name, for messages; `null` for embedded defaults or objects built in code. */
  source?: string | null;
  /** Whether the process may bind privileged ports; decides default ports. Defaults to `uid === 0`. */
  privileged?: boolean;
}

const SECTIONS = ['server', 'log', 'tftp', 'dhcp', 'http', 'store', 'inventory', 'power'] as const;

/** Renders a list of problems, one per line, with the file name first. */
export function formatProblems(problems: ConfigProblem[], source: string | null = null): string {
  const head = `${source ?? 'config'}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return [head, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join('\n');
}

/**
 * A union whose branches are objects told apart by a literal `kind` (the inventory's profiles): when the
 * value names a branch, that branch's own errors say far more than "expected union value".
 */
function* expandDiscriminatedUnion(error: ValueError): Generator<ValueError> {
  const value = error.value as { kind?: unknown } | null;
  const branches = (error.schema.anyOf ?? []) as Array<{ properties?: { kind?: { const?: unknown } } }>;
  const branch = error.type === ValueErrorType.Union && value !== null && typeof value === 'object'
    ? branches.find((b) => b.properties?.kind?.const !== undefined && b.properties.kind.const === value.kind)
    : undefined;
  if (!branch) {
    yield error;
    return;
  }
  // Defaults are only filled into a union member that validates, so fill them here before judging.
  const defaulted = Value.Default(branch as never, structuredClone(value));
  for (const inner of Value.Errors(branch as never, defaulted)) {
    // A missing property is reported once, as "is required", not again as "expected string".
    if (inner.value === undefined && inner.type !== ValueErrorType.ObjectRequiredProperty) continue;
    yield { ...inner, path: `${error.path}${inner.path}` };
  }
}

/** Collects schema errors, keeping one per path (a union reports its branches separately otherwise). */
function schemaProblems(value: unknown): ConfigProblem[] {
  const seen = new Set<string>();
  // Every proper prefix of a reported path: a set, so the check below costs the path's length, not the
  // number of problems so far (that made 219k bad hosts quadratic).
  const explained = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of [...Value.Errors(ConfigSchema, value)].flatMap((e) => [...expandDiscriminatedUnion(e)])) {
    const problem = problemFromSchemaError(error, pointerToPath(error.path) || '(root)');
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    // An error on a child already explains the parent's union/object failure.
    if (explained.has(problem.path)) continue;
    seen.add(key);
    problems.push(problem);
    for (let i = 1; i < problem.path.length; i++) explained.add(problem.path.slice(0, i));
  }
  return problems;
}

/** Fills defaults, validates and resolves an already-parsed config value. Returns the frozen config or every problem. */
export function buildConfig(
  input: unknown,
  options: BuildConfigOptions,
): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
  const source = options.source ?? null;
  if (input === null || input === undefined) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problems: [{ path: '(root)', message: `must be a mapping of sections (got ${describeValue(input)})` }] };
  }
  const raw = structuredClone(input) as Record<string, unknown>;
  for (const section of SECTIONS) {
    if (raw[section] === undefined || raw[section] === null) raw[section] = {};
  }
  const filled = Value.Default(ConfigSchema, raw) as Record<string, unknown>;
  const problems = schemaProblems(filled);
  if (problems.length > 0) return { ok: false, problems };

  const privileged = options.privileged ?? process.getuid?.() === 0;
  const partial = filled as unknown as Config;
  const serverAddress = partial.server.address;
  const httpAddress = partial.http.address ?? serverAddress;
  const httpPort = partial.http.port;
  // Every boot network's server address is served by TFTP and HTTP unless the file lists addresses.
  const serverAddresses = [...new Set([serverAddress, ...(partial.dhcp.networks ?? []).map((n) => n.serverAddress)])];
  const httpAddresses = partial.http.address !== undefined ? [partial.http.address] : serverAddresses;
  const publicUrl = (partial.http.publicUrl ?? `http://${serverAddress}:${httpPort}`).replace(/\/+$/, '');
  // Each boot network's clients are told a URL on that network: its own, else its server address where
  // HTTP listens there (a client on it may have no route to server.address), else the one URL.
  const networkUrls = (partial.dhcp.networks ?? []).map((n) => {
    const listened = httpAddresses.includes(n.serverAddress) || httpAddresses.includes('0.0.0.0');
    const url = n.publicUrl ?? (listened ? `http://${n.serverAddress}:${httpPort}` : publicUrl);
    return { serverAddress: n.serverAddress, subnet: n.subnet, url: url.replace(/\/+$/, '') };
  });
  const config: Config = {
    ...partial,
    tftp: {
      ...partial.tftp,
      addresses: partial.tftp.addresses ?? serverAddresses,
      port: partial.tftp.port ?? (privileged ? 69 : 6969),
      root: resolve(options.baseDir, partial.tftp.root),
    },
    http: {
      ...partial.http,
      address: httpAddress,
      addresses: httpAddresses,
      publicUrl,
      networkUrls,
    },
    store: { ...partial.store, path: resolve(options.baseDir, partial.store.path) },
    power: { ...partial.power, ...(partial.power.secretsFile !== undefined ? { secretsFile: resolve(options.baseDir, partial.power.secretsFile) } : {}) },
    baseDir: options.baseDir,
    source,
  };
  const crossProblems = runConfigChecks(config);
  if (crossProblems.length > 0) return { ok: false, problems: crossProblems };
  return { ok: true, config: deepFreeze(config) };
}

/** Parses YAML or JSON text (JSON is YAML); syntax errors become problems with line and column. */
export function parseConfigText(text: string, source: string | null = null): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(syntax)',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
      source,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml package refuses an alias bomb ("Excessive alias count") while building values: a problem
    // of the file like any other (exit 2), not a crash.
    throw new ConfigError([{ path: '(aliases)', message: (error as Error).message.split('\n')[0]! }], source);
  }
}

/** Reads, parses and validates a config file. Throws `ConfigError` listing every problem. */
export async function loadConfigFile(path: string, options: Partial<BuildConfigOptions> = {}): Promise<Config> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `cannot read: ${(error as Error).message}` }], absolute);
  }
  const parsed = parseConfigText(text, absolute);
  const result = buildConfig(parsed, { baseDir: dirname(absolute), source: absolute, ...options });
  if (!result.ok) throw new ConfigError(result.problems, absolute);
  return result.config;
}

/** The embedded defaults: what `xenboot serve` runs with when no config file is given. */
export function defaultConfig(options: Partial<BuildConfigOptions> = {}): Config {
  const result = buildConfig({}, { baseDir: process.cwd(), source: null, ...options });
  if (!result.ok) throw new ConfigError(result.problems, null);
  return result.config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
