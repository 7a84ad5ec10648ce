/**
 * DHCP for many simulated PXE clients at once: one socket on 0.0.0.0:68 (replies are broadcast because
 * the requests set the broadcast flag), replies dispatched to the waiting client by `xid` and `chaddr`.
 * DISCOVER and REQUEST are retransmitted on a timeout like a PXE ROM (4, 8, 16 s; RFC 2131 §4.1); a NAK
 * restarts the exchange.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DHCP_ACK, DHCP_NAK, DHCP_OFFER, decodeReply, encodeRequest, type DhcpReply, type PxeIdentity } from '../../lab/clients/dhcp-wire.js';

/** A lease as the client sees it. */
export interface Lease {
  ip: string;
  server: string;
  nextServer: string;
  bootFile: string;
}

/** The shared client side of the storm's DHCP. */
export class DhcpStormSocket {
  private readonly waiters = new Map<number, (reply: DhcpReply) => void>();
  private constructor(private readonly socket: Socket) {
    socket.on('message', (message) => {
      const reply = decodeReply(message);
      if (!reply) return;
      this.waiters.get(reply.xid)?.(reply);
    });
  }

  /** Binds 0.0.0.0:68 with broadcast enabled. */
  static async open(): Promise<DhcpStormSocket> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(68, '0.0.0.0', () => resolve());
    });
    socket.setBroadcast(true);
    socket.setRecvBufferSize(8 * 1024 * 1024);
    return new DhcpStormSocket(socket);
  }

  private exchange(identity: PxeIdentity, packet: Buffer, want: number, timeoutsMs: number[]): Promise<DhcpReply> {
    return new Promise((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error: Error | null, reply?: DhcpReply) => {
        clearTimeout(timer);
        this.waiters.delete(identity.xid);
        if (error) reject(error);
        else resolve(reply!);
      };
      this.waiters.set(identity.xid, (reply) => {
        if (!reply.chaddr.equals(identity.mac)) return;
        if (reply.messageType === want) finish(null, reply);
        else if (reply.messageType === DHCP_NAK) finish(new Error('DHCPNAK'));
      });
      const send = () => {
        if (attempt >= timeoutsMs.length) {
          finish(new Error(`no DHCP ${want === DHCP_OFFER ? 'OFFER' : 'ACK'} after ${attempt} tries`));
          return;
        }
        this.socket.send(packet, 67, '255.255.255.255');
        timer = setTimeout(send, timeoutsMs[attempt]);
        attempt += 1;
      };
      send();
    });
  }

  /**
   * DISCOVER → OFFER → REQUEST → ACK; a NAK starts over from DISCOVER (RFC 2131 §3.1 step 5) after a
   * random 1–4 s, so clients that collided on one offered address do not collide again (the
   * desynchronisation of §4.4.1), at most `rounds` times.
   */
  async lease(identity: PxeIdentity, timeoutsMs = [4_000, 8_000, 16_000, 32_000], rounds = 6): Promise<Lease> {
    for (let round = 0; ; round += 1) {
      try {
        return await this.dora({ ...identity, xid: (identity.xid ^ (round << 24)) >>> 0 }, timeoutsMs);
      } catch (error) {
        if (!(error instanceof Error && error.message === 'DHCPNAK') || round + 1 >= rounds) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.random() * 3_000));
      }
    }
  }

  private async dora(identity: PxeIdentity, timeoutsMs: number[]): Promise<Lease> {
    const offer = await this.exchange(identity, encodeRequest(identity), DHCP_OFFER, timeoutsMs);
    if (!offer.serverId) throw new Error('OFFER without option 54');
    const ack = await this.exchange(identity, encodeRequest(identity, { ip: offer.yiaddr, server: offer.serverId }), DHCP_ACK, timeoutsMs);
    return {
      ip: ack.yiaddr,
      server: ack.serverId ?? offer.serverId,
      nextServer: ack.siaddr !== '0.0.0.0' ? ack.siaddr : (ack.serverId ?? offer.serverId),
      bootFile: ack.file || ack.bootFileOption || '',
    };
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}
