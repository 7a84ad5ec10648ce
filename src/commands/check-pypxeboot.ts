/**
 * The pypxeboot part of `xenboot check`: renders every known domU (the config file's and the store's) as
 * pypxeboot would receive it, the unknown-machine default, the static `pxelinux.cfg/default`, and the
 * sizes of the files pypxeboot fetches (`boot/pypxeboot-audit.ts`). Prints each finding on stderr;
 * returns false when one is an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootServiceFromConfig, contentFileSize } from '../boot-service.js';
import { auditPypxeboot } from '../boot/pypxeboot-audit.js';
import type { Config } from '../config/schema.js';
import { staticFileHandler } from '../content/static-files.js';
import { silentLogger } from '../log.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { CommandIo } from './command.js';

/** Reads a file, or null when it cannot be read (absent, a directory, no permission). */
function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Opens the config's store to read the hosts written through the API; null (with a warning) when it cannot. */
async function openStoreOrWarn(config: Config, io: CommandIo): Promise<Store | null> {
  if (config.store.kind === 'memory') return null;
  try {
    return await openStore(config.store, silentLogger());
  } catch (error) {
    io.stderr(`warning: the store was not read (${(error as Error).message}): only the config file's domUs are checked\n`);
    return null;
  }
}

/**
 * Runs the pypxeboot audit for `config`, over the config file's inventory and the store's (hosts written
 * through the API); true when it found no error (warnings allowed).
 */
export async function checkPypxeboot(config: Config, io: CommandIo): Promise<boolean> {
  const store = await openStoreOrWarn(config, io);
  try {
    const boot = await bootServiceFromConfig(config, store ? { store } : {});
    const findings = await auditPypxeboot({
      inventory: boot.provider.current(),
      renderer: boot.renderer,
      staticDefault: readOrNull(join(config.tftp.root, 'pxelinux.cfg', 'default')),
      fileSize: contentFileSize(staticFileHandler(config.tftp.root)),
    });
    for (const finding of findings) io.stderr(`${finding.level}: ${finding.message}\n`);
    return findings.every((f) => f.level !== 'error');
  } finally {
    await store?.close();
  }
}
