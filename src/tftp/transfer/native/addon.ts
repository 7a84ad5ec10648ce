/**
 * Loads `xenboot_udp`, the small Node-API addon in `native/` that gives TFTP transfers a UDP socket
 * without node:dgram's per-datagram allocations (see `native/udp_socket.c`). It is built by
 * `npm install` (node-gyp); where it is missing or fails to load, transfers use node:dgram and
 * `nativeAddonUnavailable()` says why.
 */
import { requireNativeAddon } from '../../../net/native-addon.js';
import type { WindowLayout } from '../transfer.js';

/** Event kinds of `NativeAddon.open`'s callback. */
export const NativeUdpEvent = {
  /** a = length in the receive buffer, b = source address (32-bit), c = source port. */
  Datagram: 0,
  /** a = -errno (ECONNREFUSED: ICMP port unreachable from the client). */
  ReceiveError: 1,
  /** The socket can take a datagram again (only while `watchWritable(h, true)`). */
  Writable: 2,
  /** The accelerated window needs JavaScript: room to read ahead, or a send the kernel refused. */
  Resume: 3,
} as const;

/** An open socket, opaque to JavaScript. */
export type NativeUdpHandle = { readonly __brand: 'NativeUdpHandle' };

/** The interface version this code was written against (XENBOOT_ADDON_VERSION in native/udp_socket.c). */
export const NATIVE_ADDON_VERSION = 4;

/** How a transfer's ring and file are laid out, for `accelerate` (see `WindowLayout` in ../transfer.ts). */
export interface NativeWindowLayout extends WindowLayout {
  /** The transfer clock's time now: the addon stamps `progressAt` in that clock. */
  clockNow: number;
}

/** The addon's exports. Sends return 0 or a negative errno (EAGAIN: queue it and wait for Writable). */
export interface NativeAddon {
  /** Its interface version; a build of another version is not used. */
  readonly version: number;
  open(
    localIp: string,
    remoteIp: string,
    remotePort: number,
    connect: boolean,
    recvBuffer: Buffer,
    onEvent: (kind: number, a: number, b: number, c: number) => void,
  ): NativeUdpHandle;
  localPort(handle: NativeUdpHandle): number;
  send(handle: NativeUdpHandle, buf: Buffer, offset: number, length: number): number;
  sendTo(handle: NativeUdpHandle, buf: Buffer, offset: number, length: number, ip: number, port: number): number;
  watchWritable(handle: NativeUdpHandle, on: boolean): void;
  /**
   * Answers in-order ACKs from `window` (`Window.shared`, see ../window.ts) and the DATA packets in
   * `ring`, reading the next chunk of `layout.fd` (-1: none) into the ring from the page cache when
   * there is room.
   */
  accelerate(handle: NativeUdpHandle, window: Float64Array, ring: Buffer, layout: NativeWindowLayout): void;
  /**
   * Moves an accelerated socket onto the addon's ACK thread, which answers its window without waking
   * the event loop, until it hands the socket back (with a Datagram, ReceiveError or Resume event) or
   * `reclaim` takes it. Returns false, and changes nothing, unless the window is active with nothing
   * queued and the socket is not watching for writability.
   */
  engage(handle: NativeUdpHandle): boolean;
  /** Takes the socket back from the ACK thread: afterwards the window state may be read and written. */
  reclaim(handle: NativeUdpHandle): void;
  close(handle: NativeUdpHandle): void;
  /**
   * Scatter-reads from `fd` at `position` what the page cache holds, never waiting for the disk
   * (preadv2 with RWF_NOWAIT): bytes read (fewer than asked at the end of the file or where the cache
   * stops), or a negative errno (EAGAIN: nothing cached).
   */
  readCached(fd: number, targets: readonly Buffer[], position: number): number;
}

let loaded: { binding: NativeAddon | null; reason: string } | null = null;

function load(): { binding: NativeAddon | null; reason: string } {
  const found = requireNativeAddon(import.meta.url);
  if (!found.ok) return { binding: null, reason: found.reason };
  const binding = found.module as NativeAddon;
  if (binding.version !== NATIVE_ADDON_VERSION) {
    return { binding: null, reason: `${found.path} is interface version ${binding.version}, this xenboot needs ${NATIVE_ADDON_VERSION} (rebuild: npm run build:native)` };
  }
  return { binding, reason: '' };
}

/** The addon, or null when it is not available (then `nativeAddonUnavailable()` says why). Loaded once. */
export function nativeAddon(): NativeAddon | null {
  loaded ??= load();
  return loaded.binding;
}

/** Why the addon is not available, or null when it is. */
export function nativeAddonUnavailable(): string | null {
  loaded ??= load();
  return loaded.binding === null ? loaded.reason : null;
}
