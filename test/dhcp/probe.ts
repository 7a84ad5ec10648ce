/**
 * Sends one DHCP datagram and prints the replies it gets, as hex, one per line, then exits. Run inside a
 * test namespace: `node --import tsx test/dhcp/probe.ts <bindPort> <address> <port> <hex> [waitMs]`.
 */
import { createSocket } from 'node:dgram';

const [bindPort = '68', address = '255.255.255.255', port = '67', hex = '', waitText = '3000'] = process.argv.slice(2);
const socket = createSocket({ type: 'udp4', reuseAddr: true });
socket.on('message', (data) => process.stdout.write(`${data.toString('hex')}\n`));
socket.on('error', (error) => process.stderr.write(`probe: ${error.message}\n`));
socket.bind(Number(bindPort), '0.0.0.0', () => {
  socket.setBroadcast(true);
  socket.send(Buffer.from(hex, 'hex'), Number(port), address);
  setTimeout(() => socket.close(), Number(waitText));
});
