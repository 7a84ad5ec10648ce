/**
 * Which engine drives transfer sockets: `native`, the `xenboot_udp` addon (no allocation per datagram,
 * sends without a request object; see native/udp_socket.c), or `dgram`, node:dgram. Both deliver the
 * same packets to the same transfer state machine.
 */
import { nativeAddon, nativeAddonUnavailable } from './native/addon.js';
import type { TransferSocket, TransferSocketOptions } from './socket.js';
import { DgramTransferSocket } from './dgram-socket.js';
import { nativePageCacheRead } from './native/page-cache.js';
import { NativeTransferSocket } from './native/socket.js';

/** An engine for transfer sockets. */
export type TransferEngine = 'native' | 'dgram';

/**
 * Resolves the configured engine: `auto` is `native` where the addon loads, else `dgram` with the
 * reason; `native` without the addon is an error.
 */
export function resolveTransferEngine(wanted: 'auto' | TransferEngine): { engine: TransferEngine; fallback: string | null } {
  if (wanted === 'dgram') return { engine: 'dgram', fallback: null };
  if (nativeAddon() !== null) return { engine: 'native', fallback: null };
  const reason = nativeAddonUnavailable() ?? 'unknown';
  if (wanted === 'native') throw new Error(`tftp.engine is native but the xenboot_udp addon is not available: ${reason}`);
  return { engine: 'dgram', fallback: reason };
}

/** Opens a transfer socket on `serverIp` (ephemeral port) for a transfer with `clientIp:clientPort`. */
export async function openTransferSocket(engine: TransferEngine, options: TransferSocketOptions): Promise<TransferSocket> {
  const binding = engine === 'native' ? nativeAddon() : null;
  if (binding !== null) return new NativeTransferSocket(binding, options);
  // Cached file pages are read through the addon wherever it is built, whichever engine sends.
  return DgramTransferSocket.open({ ...options, readCached: nativePageCacheRead() });
}

