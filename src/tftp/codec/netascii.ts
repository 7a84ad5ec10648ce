/**
 * netascii mode (RFC 1350 §5 via RFC 764): line ends become CR LF and a bare CR becomes CR NUL. Boot
 * clients all ask for `octet`; netascii exists for interactive clients (tftp-hpa's default mode), so
 * it is served by converting in memory (`../netascii-content.ts`).
 */

/** Converts bytes to netascii: LF → CR LF, CR → CR NUL. Pure. */
export function encodeNetascii(source: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < source.length; i += 1) if (source[i] === 0x0a || source[i] === 0x0d) extra += 1;
  if (extra === 0) return source;
  const out = Buffer.allocUnsafe(source.length + extra);
  let o = 0;
  for (let i = 0; i < source.length; i += 1) {
    const byte = source[i]!;
    if (byte === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    } else if (byte === 0x0d) {
      out[o++] = 0x0d;
      out[o++] = 0x00;
    } else {
      out[o++] = byte;
    }
  }
  return out;
}
