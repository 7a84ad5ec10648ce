/**
 * Conversion between JSON-pointer paths (as schema validators report them) and the dotted paths
 * (`dhcp.ranges[1].start`) that config error messages show.
 */

/** `/dhcp/ranges/1/start` → `dhcp.ranges[1].start`; the empty pointer is the root, shown as `(root)`. */
export function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
