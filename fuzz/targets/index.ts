/**
 * Every fuzz target, in the order `npm run fuzz` runs them, as the module and export that hold it. Each
 * is loaded only in the worker that fuzzes it: V8's precise coverage walks every function the isolate
 * has compiled, so a worker that imported all targets (YAML, TypeBox, …) would read coverage slower.
 */
import type { FuzzTarget } from '../engine/target.js';

/** Where a target lives. */
export interface TargetEntry {
  name: string;
  /** File URL of the module exporting it. */
  module: string;
  /** Name of the export. */
  exportName: string;
}

function entry(name: string, file: string, exportName: string): TargetEntry {
  return { name, module: new URL(file, import.meta.url).href, exportName };
}

/** The targets. */
export const TARGETS: readonly TargetEntry[] = [
  entry('dhcp-decode', './dhcp-decode.ts', 'dhcpDecode'),
  entry('tftp-decode', './tftp-decode.ts', 'tftpDecode'),
  entry('tftp-negotiate', './tftp-negotiate.ts', 'tftpNegotiate'),
  entry('http-range', './http-range.ts', 'httpRange'),
  entry('config-load', './config-load.ts', 'configLoad'),
  entry('csv-import', './csv-import.ts', 'csvImport'),
  entry('boot-names', './boot-names.ts', 'bootNames'),
  entry('pypxeboot-lint', './pypxeboot-lint.ts', 'pypxebootLint'),
];

/** Loads a target from its entry. */
export async function loadTarget(entry: Pick<TargetEntry, 'module' | 'exportName'>): Promise<FuzzTarget> {
  const loaded = (await import(entry.module)) as Record<string, FuzzTarget | undefined>;
  const target = loaded[entry.exportName];
  if (!target) throw new Error(`${entry.module} exports no fuzz target "${entry.exportName}"`);
  return target;
}
