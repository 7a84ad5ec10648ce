/**
 * The addon's page-cache read for whichever transfer socket serves a file: the native socket, and the
 * node:dgram socket too where the addon is built (`engine: dgram` still reads cached pages without a
 * thread hop).
 */
import type { PageCacheRead } from '../socket.js';
import { nativeAddon, type NativeAddon } from './addon.js';

/** `binding.readCached` as a transfer wants it: the bytes read, or `null` when nothing could be read without waiting. */
export function pageCacheRead(binding: NativeAddon): PageCacheRead {
  return (fd, targets, position) => {
    const n = binding.readCached(fd, targets, position);
    return n >= 0 ? n : null;
  };
}

/** The page-cache read of the loaded addon, or `null` where it is not available. */
export function nativePageCacheRead(): PageCacheRead | null {
  const binding = nativeAddon();
  return binding === null ? null : pageCacheRead(binding);
}
