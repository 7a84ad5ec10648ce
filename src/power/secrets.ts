/**
 * BMC credentials by name, from the secrets file (`power.secretsFile`, read at every use so a rotated
 * password needs no restart) or the environment (`XENBOOT_BMC_<NAME>_USERNAME`, `XENBOOT_BMC_<NAME>_PASSWORD`,
 * NAME upper-cased with every other character than A–Z and 0–9 as `_`); the environment wins. Nothing
 * here logs or returns a password except to the client that uses it.
 */
import { readFileSync } from 'node:fs';
import { PowerError } from './types.js';

/** A username and password for one BMC. */
export interface BmcCredentials {
  username: string;
  password: string;
}

/** The environment variable prefix of a credentials name. */
export function credentialsEnvPrefix(name: string): string {
  return `XENBOOT_BMC_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

/** Looks up credentials by name; throws `PowerError('not-configured')` naming where it looked. */
export function readCredentials(name: string, secretsFile: string | undefined, env: NodeJS.ProcessEnv = process.env): BmcCredentials {
  const prefix = credentialsEnvPrefix(name);
  const fromEnv = { username: env[`${prefix}USERNAME`], password: env[`${prefix}PASSWORD`] };
  if (fromEnv.username !== undefined && fromEnv.password !== undefined) return { username: fromEnv.username, password: fromEnv.password };
  if (secretsFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(secretsFile, 'utf8'));
    } catch (error) {
      throw new PowerError('not-configured', `cannot read the secrets file ${secretsFile}: ${(error as NodeJS.ErrnoException).code ?? 'not JSON'}`);
    }
    const entry = (parsed as Record<string, unknown> | null)?.[name] as { username?: unknown; password?: unknown } | undefined;
    if (entry && typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
    if (entry) throw new PowerError('not-configured', `the secrets file entry "${name}" needs a username and a password (strings)`);
  }
  throw new PowerError('not-configured', `no BMC credentials named "${name}": add them to ${secretsFile ?? 'a secrets file (power.secretsFile)'} or set ${prefix}USERNAME and ${prefix}PASSWORD`);
}
