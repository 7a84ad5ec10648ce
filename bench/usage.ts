/**
 * `--help` for every benchmark script: prints the script's own header comment (what it compares, its
 * command line and what it needs) and exits, before anything is started.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** When argv asks for help (`--help` or `-h`), prints the header comment of the script at `moduleUrl` and exits 0. */
export function exitOnHelp(moduleUrl: string): void {
  if (!process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) return;
  const source = readFileSync(fileURLToPath(moduleUrl), 'utf8');
  const header = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(source)?.[1] ?? '';
  console.log(header.split('\n').map((line) => line.replace(/^ \*( |$)/, '')).join('\n'));
  process.exit(0);
}
