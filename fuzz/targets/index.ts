/**
 * Every fuzz target, in the order `npm run fuzz` runs them. Each is loaded only when it runs: V8's
 * precise coverage walks every function the isolate has compiled, so a worker that imported all targets
 * (YAML, TypeBox, …) would read coverage several times slower for each of them.
 */
import type { FuzzTarget } from '../engine/target.js';

/** A target's name and how to load it. */
export interface TargetEntry {
  name: string;
  load: () => Promise<FuzzTarget>;
}

/** The targets. */
export const TARGETS: readonly TargetEntry[] = [
  { name: 'dhcp-decode', load: async () => (await import('./dhcp-decode.js')).dhcpDecode },
  { name: 'tftp-decode', load: async () => (await import('./tftp-decode.js')).tftpDecode },
  { name: 'tftp-negotiate', load: async () => (await import('./tftp-negotiate.js')).tftpNegotiate },
  { name: 'http-range', load: async () => (await import('./http-range.js')).httpRange },
  { name: 'config-load', load: async () => (await import('./config-load.js')).configLoad },
  { name: 'csv-import', load: async () => (await import('./csv-import.js')).csvImport },
  { name: 'boot-names', load: async () => (await import('./boot-names.js')).bootNames },
  { name: 'pypxeboot-lint', load: async () => (await import('./pypxeboot-lint.js')).pypxebootLint },
];

/** Loads the target of that name; throws naming the known ones when there is none. */
export async function loadTarget(name: string): Promise<FuzzTarget> {
  const entry = TARGETS.find((t) => t.name === name);
  if (!entry) throw new Error(`no fuzz target "${name}"; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  return entry.load();
}
