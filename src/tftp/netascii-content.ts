/**
 * netascii transfers (see `codec/netascii.ts`): the content is converted whole, in memory, for files up
 * to `MAX_NETASCII_SOURCE_BYTES`; larger ones must be fetched in octet mode.
 */
import { bufferContent, type Content } from '../content/types.js';
import { encodeNetascii } from './codec/netascii.js';

/** Largest file served in netascii mode (converted in memory); larger ones must use octet mode. */
export const MAX_NETASCII_SOURCE_BYTES = 4 * 1024 * 1024;

/** Reads `content` whole and returns its netascii form (closing the original), or `null` when it is too large. */
export async function netasciiContent(content: Content): Promise<Content | null> {
  try {
    if (content.size > MAX_NETASCII_SOURCE_BYTES) return null;
    return bufferContent(encodeNetascii(await content.read(0, content.size)));
  } finally {
    await content.close();
  }
}
