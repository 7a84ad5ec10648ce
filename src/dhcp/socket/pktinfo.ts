/**
 * The DHCP server's socket from the native engine (`native/pktinfo_socket.c`): one UDP socket on the
 * wildcard address that tells, for every datagram, the interface it arrived on and the local address it
 * was for (IP_PKTINFO), and sends each reply out of a chosen interface from a chosen source address. It
 * lives in the same addon as TFTP's transfer sockets (`native/build/Release/xenboot_udp.node`, built by
 * `npm install`); where the addon is missing, `pktinfoUnavailable()` says why and DHCP falls back to
 * node:dgram, which serves one network only.
 */
import { intToIp, ipToInt } from '../../net/ipv4.js';
import { requireNativeAddon } from '../../net/native-addon.js';

/** An open socket, opaque to JavaScript. */
type PktinfoHandle = { readonly __brand: 'PktinfoHandle' };

/** The exports of the addon this module uses. */
interface PktinfoAddon {
  pktinfoOpen(
    address: string,
    port: number,
    recvBuffer: Buffer,
    shedAfterMs: number,
    onDatagram: (length: number, sourceIp: number, sourcePort: number, ifindex: number, destinationIp: number, localIp: number) => void,
  ): PktinfoHandle;
  pktinfoLocalPort(handle: PktinfoHandle): number;
  pktinfoShed(handle: PktinfoHandle): number;
  pktinfoSend(handle: PktinfoHandle, buf: Buffer, length: number, ip: number, port: number, ifindex: number, sourceIp: number): number;
  pktinfoClose(handle: PktinfoHandle): void;
  pktinfoHoldDiscovers(handle: PktinfoHandle, hold: boolean): void;
  pktinfoSetOwner(handle: PktinfoHandle, buckets: Uint8Array | null, addresses: number[]): void;
  pktinfoPeerDrops(handle: PktinfoHandle): number;
  pktinfoKernelFilter(handle: PktinfoHandle): string;
  pktinfoKernelPeerDrops(handle: PktinfoHandle): number;
  interfaceIndex(name: string): number;
}

/** Where a datagram arrived: the interface (index) and the local address the kernel would answer from. */
export interface Arrival {
  /** Interface index (`ip link` numbers it); 0 when unknown. */
  ifindex: number;
  /** The header's destination: 255.255.255.255 for a limited broadcast, else one of this host's addresses. */
  destination: string;
  /** The primary address of the arriving interface (`ipi_spec_dst`). */
  local: string;
}

/** One received datagram. `data` is a view of the socket's receive buffer, valid only during the call. */
export interface ReceivedDatagram {
  data: Buffer;
  address: string;
  port: number;
  arrival: Arrival;
}

/** Where a reply leaves: the interface (0: the routing table's choice) and the source address (0.0.0.0: the kernel's). */
export interface Departure {
  ifindex: number;
  source: string;
}

/** An open DHCP socket. */
export interface PktinfoSocket {
  readonly port: number;
  /** DISCOVERs dropped unread under overload: older than `shedAfterMs`, or the oldest of a full staging ring. */
  readonly shed: number;
  /** Requests the ownership filter dropped undecoded (`setOwner`): in the kernel and in this process. */
  readonly peerDrops: number;
  /** Of `peerDrops`, those the kernel filter dropped (this process was not woken for them). */
  readonly kernelPeerDrops: number;
  /**
   * Empty while the same filter also runs in the kernel (an eBPF socket filter, native/peer_bpf.c: the
   * peer's requests are then dropped before this process is woken for them); else why not.
   */
  readonly kernelFilter: string;
  /** Sends `data` to `address:port` out of `via`; returns 0 or a negative errno (never throws on a send). */
  send(data: Buffer, address: string, port: number, via: Departure): number;
  /**
   * While `hold` is true DISCOVERs are not delivered: they wait in the staging ring and are shed there
   * (age, or a full ring); every other message still is. For a server whose begun exchanges cannot finish.
   */
  holdDiscovers(hold: boolean): void;
  /**
   * The two-instance mode's filter (src/dhcp/ha/ownership.ts has the rule): requests of clients in other
   * instances' buckets are dropped before JavaScript sees them. `null`: no filter.
   */
  setOwner(owner: { buckets: Uint8Array; addresses: readonly string[] } | null): void;
  close(): void;
}

/** The largest datagram taken; the codec refuses anything over 8 972 bytes anyway. */
const RECEIVE_BUFFER = 9_000;

let loaded: { addon: PktinfoAddon | null; reason: string } | null = null;

function load(): { addon: PktinfoAddon | null; reason: string } {
  const loadedAddon = requireNativeAddon(import.meta.url);
  if (!loadedAddon.ok) return { addon: null, reason: loadedAddon.reason };
  const addon = loadedAddon.module as Partial<PktinfoAddon>;
  if (typeof addon.pktinfoOpen !== 'function') return { addon: null, reason: `${loadedAddon.path} has no DHCP socket (rebuild: npm run build:native)` };
  return { addon: addon as PktinfoAddon, reason: '' };
}

function addon(): PktinfoAddon | null {
  loaded ??= load();
  return loaded.addon;
}

/** Why the native DHCP socket is not available, or null when it is. */
export function pktinfoUnavailable(): string | null {
  loaded ??= load();
  return loaded.addon === null ? loaded.reason : null;
}

/** The index of the interface called `name`, or 0 when there is none (or the addon is missing). */
export function interfaceIndex(name: string): number {
  return addon()?.interfaceIndex(name) ?? 0;
}

/**
 * Opens the socket on `address:port` (port 0 picks a free one). `onDatagram` is called once per datagram
 * with a view of the receive buffer; `onError` with a receive errno. Datagrams that queued up are
 * delivered messages of begun exchanges first, then DISCOVERs newest first; a DISCOVER older than
 * `shedAfterMs` (0: no age limit), or the oldest when the staging ring is full, is dropped before it
 * reaches JavaScript (overload, see native/pktinfo_socket.c). Throws the bind error (EADDRINUSE, EACCES)
 * like `bindUdp`.
 */
export function openPktinfoSocket(address: string, port: number, shedAfterMs: number, onDatagram: (datagram: ReceivedDatagram) => void, onError: (errno: number) => void): PktinfoSocket {
  const binding = addon();
  if (binding === null) throw new Error(`the native DHCP socket is not available: ${pktinfoUnavailable()}`);
  const buffer = Buffer.alloc(RECEIVE_BUFFER);
  const handle = binding.pktinfoOpen(address, port, buffer, shedAfterMs, (length, sourceIp, sourcePort, ifindex, destinationIp, localIp) => {
    if (length < 0) {
      onError(-length);
      return;
    }
    onDatagram({
      data: buffer.subarray(0, length),
      address: intToIp(sourceIp),
      port: sourcePort,
      arrival: { ifindex, destination: intToIp(destinationIp), local: intToIp(localIp) },
    });
  });
  return {
    port: binding.pktinfoLocalPort(handle),
    get shed() {
      return binding.pktinfoShed(handle);
    },
    get peerDrops() {
      return binding.pktinfoPeerDrops(handle);
    },
    get kernelFilter() {
      return binding.pktinfoKernelFilter(handle);
    },
    get kernelPeerDrops() {
      return binding.pktinfoKernelPeerDrops(handle);
    },
    send: (data, to, toPort, via) => binding.pktinfoSend(handle, data, data.length, ipToInt(to), toPort, via.ifindex, ipToInt(via.source)),
    holdDiscovers: (hold) => binding.pktinfoHoldDiscovers(handle, hold),
    setOwner: (owner) => binding.pktinfoSetOwner(handle, owner === null ? null : Buffer.from(owner.buckets), owner === null ? [] : owner.addresses.map(ipToInt)),
    close: () => binding.pktinfoClose(handle),
  };
}
