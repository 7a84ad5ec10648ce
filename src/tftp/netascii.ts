/**
 * netascii mode (RFC 1350 §5 via RFC 764): line ends become CR LF and a bare CR becomes CR NUL. Boot
 * clients all ask for `octet`; netascii exists for interactive clients (tftp-hpa's default mode), so
 * it is served by converting in memory, for files up to `MAX_NETASCII_SOURCE_BYTES`.
 */
import { bufferContent, type Content } from '../content/types.js';

/** Largest file served in netascii mode (converted in memory); larger ones must use octet mode. */
export const MAX_NETASCII_SOURCE_BYTES = 4 * 1024 * 1024;

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

/** Reads `content` whole and returns its netascii form (closing the original), or `null` when it is too large. */
export async function netasciiContent(content: Content): Promise<Content | null> {
  try {
    if (content.size > MAX_NETASCII_SOURCE_BYTES) return null;
    return bufferContent(encodeNetascii(await content.read(0, content.size)));
  } finally {
    await content.close();
  }
}
