/**
 * Loading the config named by `--config`, shared by every command that needs one.
 */
import { ConfigError, defaultConfig, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CommandIo } from './command.js';

/**
 * Loads `path`, or the embedded defaults when `path` is undefined. On failure prints every problem to
 * stderr and returns `null` (the caller exits 2).
 */
export async function loadConfigOrReport(path: string | undefined, io: CommandIo): Promise<Config | null> {
  try {
    return path === undefined ? defaultConfig() : await loadConfigFile(path);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return null;
    }
    throw error;
  }
}
