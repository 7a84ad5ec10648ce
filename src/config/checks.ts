/**
 * Checks that a schema cannot express (cross-field rules). Each section registers a function that
 * returns every problem it sees; they all run, so a config with several mistakes reports all of them.
 */
import type { Config } from './schema.js';
import type { ConfigProblem } from './types.js';

/** A cross-field check over the defaulted config. It must not throw; it returns problems. */
export type ConfigCheck = (config: Config) => ConfigProblem[];

const checks: ConfigCheck[] = [];

/** Adds a check that `loadConfig` runs after schema validation. Sections call this at import time. */
export function registerConfigCheck(check: ConfigCheck): void {
  checks.push(check);
}

/** Runs every registered check; a check that throws is reported as a problem rather than crashing. */
export function runConfigChecks(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const check of checks) {
    try {
      problems.push(...check(config));
    } catch (error) {
      problems.push({ path: '(root)', message: `internal check failed: ${(error as Error).message}` });
    }
  }
  return problems;
}
