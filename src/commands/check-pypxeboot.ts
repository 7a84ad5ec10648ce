/**
 * The pypxeboot part of `xenboot check`: renders every known domU of the config file's inventory as
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
import type { CommandIo } from './command.js';

/** Reads a file, or null when it cannot be read (absent, a directory, no permission). */
function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Runs the pypxeboot audit for `config`; true when it found no error (warnings allowed). */
export async function checkPypxeboot(config: Config, io: CommandIo): Promise<boolean> {
  const boot = await bootServiceFromConfig(config);
  const findings = await auditPypxeboot({
    inventory: boot.provider.current(),
    renderer: boot.renderer,
    staticDefault: readOrNull(join(config.tftp.root, 'pxelinux.cfg', 'default')),
    fileSize: contentFileSize(staticFileHandler(config.tftp.root)),
  });
  for (const finding of findings) io.stderr(`${finding.level}: ${finding.message}\n`);
  return findings.every((f) => f.level !== 'error');
}
