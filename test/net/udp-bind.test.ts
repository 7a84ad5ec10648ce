import { createSocket } from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { bindUdp } from '../../src/net/udp-bind.js';

const sockets: ReturnType<typeof createSocket>[] = [];
const udp = () => {
  const socket = createSocket('udp4');
  sockets.push(socket);
  return socket;
};
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

it('binds a free port on 127.0.0.1 and leaves no error listener behind', async () => {
  const socket = udp();
  await bindUdp(socket, '127.0.0.1', 0);
  expect(socket.address().port).toBeGreaterThan(0);
  expect(socket.listenerCount('error')).toBe(0);
});

it('rejects with EADDRINUSE when the port is taken', async () => {
  const first = udp();
  await bindUdp(first, '127.0.0.1', 0);
  await expect(bindUdp(udp(), '127.0.0.1', first.address().port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
});
