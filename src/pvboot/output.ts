/**
 * The answer a Xen bootloader writes for the toolstack (boot-protocols.md §1.6, §5): libxl's `simple0`
 * (NUL-terminated `kernel <path>`, `ramdisk <path>`, `args <cmdline>` items, read by
 * `parse_bootloader_result`), `simple` (the same with newlines) and xend's SXP
 * `linux (kernel …)(ramdisk …)(args '…')`. Pure.
 */
import type { OutputFormat } from './args.js';

/** What was fetched. */
export interface BootloaderResult {
  kernel: string;
  ramdisk?: string;
  args: string;
}

/** Encodes the result in the requested format. */
export function formatBootloaderResult(result: BootloaderResult, format: OutputFormat): string {
  if (format === 'sxp') {
    // Single quotes like pypxeboot; pygrub's %r switches to double quotes when the text holds a quote.
    const quoted = result.args.includes("'") ? `"${result.args.replace(/(["\\])/g, '\\$1')}"` : `'${result.args}'`;
    return `linux (kernel ${result.kernel})${result.ramdisk !== undefined ? `(ramdisk ${result.ramdisk})` : ''}(args ${quoted})`;
  }
  const sep = format === 'simple0' ? '\0' : '\n';
  const items = [`kernel ${result.kernel}`];
  if (result.ramdisk !== undefined) items.push(`ramdisk ${result.ramdisk}`);
  items.push(`args ${result.args}`);
  return items.map((item) => `${item}${sep}`).join('');
}
