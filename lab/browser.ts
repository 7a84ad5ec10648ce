/**
 * Debian's chromium (`/usr/bin/chromium`, never a downloaded browser), headless, driven by
 * playwright-core: what the console tests and the console benchmark open pages in. Given a network
 * namespace, chromium runs inside it (through a wrapper script `ip netns exec <ns> chromium`), so it
 * reaches only what listens there.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Namespace } from './netns.js';

/** Debian's chromium package's binary. */
export const CHROMIUM = '/usr/bin/chromium';

/** No sandbox (root in a container), no GPU, and nothing that calls out: no QUIC, updates, sync or first-run pages. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts chromium with its profile in `profileDir` (created when missing), inside `namespace` when given
 * (the wrapper script is written into the profile directory). The caller closes the context.
 */
export async function launchChromium(profileDir: string, options: { namespace?: Namespace; timeoutMs?: number } = {}): Promise<BrowserContext> {
  mkdirSync(profileDir, { recursive: true });
  let executablePath = CHROMIUM;
  if (options.namespace) {
    executablePath = join(profileDir, 'chromium-in-ns');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${options.namespace.name} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  return chromium.launchPersistentContext(profileDir, { executablePath, headless: true, args: CHROMIUM_ARGS, timeout: options.timeoutMs ?? 60_000 });
}
