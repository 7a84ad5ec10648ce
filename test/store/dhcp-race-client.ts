/**
 * A crowd of DHCP clients for the two-server lease race, run inside the client namespace: for each MAC it
 * sends a DISCOVER, takes the first OFFER from any server, broadcasts a REQUEST for it naming that server,
 * and records every OFFER, ACK and NAK that arrives (from either server). Prints one JSON line.
 * With `split` servers, client n sends its DISCOVER to server n mod 2 only (unicast), so the two servers
 * see different clients at the same moment and must collide on the same free addresses.
 *
 * argv: count macPrefix(e.g. 02:00:00:00:60) [serverA,serverB]
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { DHCP_ACK, DHCP_NAK, DHCP_OFFER, decodeReply, encodeRequest, type DhcpReply, type PxeIdentity } from '../../lab/clients/dhcp-wire.js';

/** What one client saw. */
export interface ClientResult {
  mac: string;
  offers: Array<{ ip: string; server: string }>;
  acks: Array<{ ip: string; server: string }>;
  naks: string[];
}

async function main(): Promise<void> {
  const [countText, prefix, split] = process.argv.slice(2);
  const targets = split ? split.split(',') : null;
  const count = Number(countText);
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(68, '0.0.0.0', () => resolve());
  });
  socket.setBroadcast(true);
  const byXid = new Map<number, (reply: DhcpReply) => void>();
  socket.on('message', (message) => {
    const reply = decodeReply(message);
    if (reply) byXid.get(reply.xid)?.(reply);
  });
  const send = (packet: Buffer, to = '255.255.255.255') =>
    new Promise<void>((resolve, reject) => socket.send(packet, 67, to, (error) => (error ? reject(error) : resolve())));
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const results = await Promise.all(
    Array.from({ length: count }, async (_, n): Promise<ClientResult> => {
      const mac = `${prefix}:${n.toString(16).padStart(2, '0')}`;
      const identity: PxeIdentity = { mac: Buffer.from(mac.replace(/:/g, ''), 'hex'), uuid: randomBytes(16), xid: randomBytes(4).readUInt32BE(0) };
      const result: ClientResult = { mac, offers: [], acks: [], naks: [] };
      byXid.set(identity.xid, (reply) => {
        if (!reply.chaddr.equals(identity.mac)) return;
        const server = reply.serverId ?? '?';
        if (reply.messageType === DHCP_OFFER) result.offers.push({ ip: reply.yiaddr, server });
        else if (reply.messageType === DHCP_ACK) result.acks.push({ ip: reply.yiaddr, server });
        else if (reply.messageType === DHCP_NAK) result.naks.push(server);
      });
      // All clients start together: the servers race for the same few addresses.
      await send(encodeRequest(identity), targets ? targets[n % targets.length] : undefined);
      await wait(4_000);
      const first = result.offers[0];
      if (first) {
        await send(encodeRequest(identity, first));
        await wait(4_000);
      }
      byXid.delete(identity.xid);
      return result;
    }),
  );
  socket.close();
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

if (process.argv[1]?.endsWith('dhcp-race-client.ts')) await main();
