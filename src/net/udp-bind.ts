/**
 * Binding a UDP socket as a promise: resolves once the socket is bound, rejects with the bind error
 * (`EADDRINUSE`, `EACCES` for a privileged port, `EADDRNOTAVAIL`) and leaves no error listener behind.
 * `exclusive` keeps the port to this process even under the cluster module.
 */
import type { Socket } from 'node:dgram';

/** Binds `socket` to `address:port` (port 0 picks a free one), exclusively. */
export function bindUdp(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
