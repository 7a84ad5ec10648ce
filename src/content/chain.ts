/**
 * Composing content handlers: generated content (pxelinux.cfg/…, grub.cfg-01-…, iPXE scripts) is asked
 * first, static files under the root last. The first handler with an answer wins.
 */
import type { Content, ContentHandler, ContentRequest } from './types.js';

/**
 * Combines handlers into one that asks each in order and returns the first non-null content. A handler
 * throwing `ContentDenied` (or any other error) stops the chain: the error reaches the caller, which
 * answers "access violation" (TFTP) or 403 (HTTP) rather than falling through to a later handler.
 */
export function chainHandlers(handlers: readonly ContentHandler[]): ContentHandler {
  const list = [...handlers];
  return async (request: ContentRequest): Promise<Content | null> => {
    for (const handler of list) {
      const content = await handler(request);
      if (content !== null) return content;
    }
    return null;
  };
}
