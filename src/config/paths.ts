/**
 * JSON-pointer paths (RFC 6901, as schema validators report them) as the dotted paths
 * (`dhcp.ranges[1].start`, `hosts[0].ip`) that config and API error messages show.
 */

/** `/dhcp/ranges/1/start` → `dhcp.ranges[1].start`; the root (`''` or `/`) is `''`, which callers name. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
