/**
 * What the responder needs to decide a reply, and what it returns. Kept apart so `responder.ts` (full
 * mode) and `proxy.ts` share one shape and tests can build a context without sockets.
 */
import type { Booter } from '../boot/machine.js';
import type { DhcpConfig } from './config.js';
import type { LeaseTable } from './leases.js';
import type { DhcpPacket } from './packet.js';
import type { Subnet } from './subnets.js';

/** Everything the policy reads. `now` is injected so tests control time. */
export interface ResponderContext {
  config: DhcpConfig;
  /** The address this request is answered from: option 54 and the default `siaddr` (`server.address`, or a network's). */
  serverAddress: string;
  subnets: readonly Subnet[];
  /** The local network the request arrived on, when the socket tells (`networks.ts`); else the first local one. */
  arrivedOn?: Subnet;
  booter: Booter;
  leases: LeaseTable;
  now: number;
}

/** Where a request came from and which listener got it (`proxy` = the PXE boot-server port 4011). */
export interface RequestSource {
  address: string;
  port: number;
  via: 'dhcp' | 'proxy';
}

/** A reply and where to send it. */
export interface DhcpReply {
  packet: DhcpPacket;
  address: string;
  port: number;
}

/** The responder's decision about one message, with what the exchange event records. */
export interface DhcpOutcome {
  /** `DISCOVER`, `REQUEST`, … */
  messageType: string;
  mac?: string;
  reply: DhcpReply | null;
  /** Why, in a few words. */
  reason: string;
  yiaddr?: string;
  bootFile?: string;
  arch?: number;
  /** Options dropped to fit the client's size limit. */
  dropped?: number[];
}
