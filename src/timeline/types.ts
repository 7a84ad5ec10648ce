/**
 * Boot events: what happened to a machine on the wire. Every DHCP exchange, TFTP transfer and HTTP boot
 * fetch produces one, keyed by MAC where it is known (and by IP), so the timeline of a machine shows where
 * its boot stopped.
 */

/** Fields every event carries. */
export interface BootEventBase {
  /** When the exchange finished, ms since the epoch. */
  at: number;
  /** The machine, canonical `aa:bb:cc:dd:ee:ff`, when known. */
  mac?: string;
  /** The client's IP address as seen on the wire. */
  ip?: string;
}

/** How a TFTP transfer ended. */
export type TftpOutcome =
  | 'complete' // every block acknowledged
  | 'not-found' // ERROR 1 sent
  | 'denied' // ERROR 2 (write request, hostile path, access outside the root)
  | 'aborted' // the client sent ERROR (e.g. UEFI's tsize probe)
  | 'timeout' // retries exhausted
  | 'busy' // refused by admission control
  | 'error'; // a local failure (read error, socket error)

/** One TFTP read request, from RRQ to its end. */
export interface TftpTransferEvent extends BootEventBase {
  kind: 'tftp';
  ip: string;
  port: number;
  /** The server address the request was sent to. */
  serverIp: string;
  /** The file name as the client sent it. */
  file: string;
  outcome: TftpOutcome;
  /** Payload bytes acknowledged by the client. */
  bytes: number;
  /** File size, when the file was found. */
  size?: number;
  blksize: number;
  windowsize: number;
  durationMs: number;
  /** Retransmitted DATA packets. */
  retransmits: number;
  /**
   * Sends that found the transfer socket's send buffer full and waited for room (native engine; the
   * dgram engine's library queues them without telling, so it reports 0).
   */
  sendBufferFull: number;
  /** For failures, the reason. */
  error?: string;
}

/** One DHCP message and what xenboot did about it. */
export interface DhcpExchangeEvent extends BootEventBase {
  kind: 'dhcp';
  /** DISCOVER, REQUEST, RELEASE, DECLINE, INFORM, … */
  messageType: string;
  /** OFFER, ACK, NAK, or `null` when xenboot stayed silent. */
  reply: string | null;
  /** Why, in a few words (`reserved`, `pool`, `unknown MAC ignored`, …). */
  reason?: string;
  /** The address offered or acknowledged. */
  yiaddr?: string;
  /** The boot file announced. */
  bootFile?: string;
  /** Client architecture from option 93, if present. */
  arch?: number;
  /** Option 60 (vendor class identifier) as the client sent it (`PXEClient:Arch:00000:UNDI:002001`, `udhcp 1.36.1`). */
  vendorClass?: string;
}

/** One HTTP fetch on a boot path (scripts, generated configs, files). */
export interface HttpFetchEvent extends BootEventBase {
  kind: 'http';
  method: string;
  path: string;
  status: number;
  bytes: number;
  durationMs: number;
}

/** How another DHCP server was noticed: its answer to xenboot's probe, a broadcast reply on port 68, or what reached port 67. */
export type RogueDhcpVia = 'probe' | 'client-port' | 'server-port';

/**
 * Another DHCP server seen on a boot network (`dhcp.rogueDetection`, docs/dhcp.md). Emitted when a server is
 * first seen and again at most every few minutes while it keeps answering, not per packet. It carries no
 * `mac`/`ip`: it belongs to the network, not to a machine's timeline (`clientMac` says whom it answered).
 */
export interface RogueDhcpServerEvent extends BootEventBase {
  kind: 'dhcp-rogue';
  /** Option 54 of its reply (or of a client's REQUEST choosing it); the UDP source address when a reply had none. */
  serverId: string;
  /** The UDP source address of its reply (absent when only a client's REQUEST named it). */
  sourceIp?: string;
  /** OFFER, ACK, NAK, BOOTP (a reply), or REQUEST/DECLINE/RELEASE (a client's message naming it). */
  messageType: string;
  via: RogueDhcpVia;
  /** The client the message was for (or from). */
  clientMac?: string;
  /** The address it offered or acknowledged. */
  yiaddr?: string;
  /** The boot file it announced (option 67 or `file`): what a machine booting from it would load. */
  bootFile?: string;
  /** True the first time this server is reported (since start, or since it was forgotten). */
  firstSeen: boolean;
  /** Messages seen from or naming it so far. */
  sightings: number;
}

/**
 * A change of a host's boot lifecycle (next-boot action armed or cleared, a boot attempt, evidence that
 * consumed an action, a callback), or a callback refused: the audit trail of docs/lifecycle.md. Written
 * in the same transaction as the change itself.
 */
export interface LifecycleEvent extends BootEventBase {
  kind: 'lifecycle';
  mac: string;
  /** What happened (`armed`, `cleared`, `attempt`, `booting`, `booted`, `consumed`, `callback`, `refused`). */
  change: string;
  /** The state before and after (equal for a refusal). */
  from: string;
  to: string;
  /** Who: `api`, `cli:<user>`, `evidence` (the timeline), `callback` (the booted system). */
  by: string;
  /** The action concerned, as text (`once: rescue`, `reinstall: installer`, `netboot: disabled`). */
  action?: string;
  /** The boot the change concerns (callbacks are bound to it). */
  bootId?: string;
  /** Details: the file that completed the evidence, the callback's message, why a callback was refused. */
  message?: string;
}

/** Any boot event. */
export type BootEvent = TftpTransferEvent | DhcpExchangeEvent | HttpFetchEvent | RogueDhcpServerEvent | LifecycleEvent;
