/**
 * A client that goes away, against a real `xenboot serve` child on 127.0.0.1 (both transfer engines).
 * Going away mid-transfer ends the transfer `aborted` ("client port unreachable") at once, from the ICMP
 * error its next DATA brings back. Going away because it is done must still count as `complete`: a
 * windowed client whose ACKs trail what it has receives everything, sends its final ACK and closes,
 * while the server answers an earlier ACK with blocks it no longer needs. Their ICMP errors reach the
 * server first, and Linux reports a socket error before the datagrams queued behind it, so the final
 * ACK is read only after the error. The server process is stopped (SIGSTOP) while the client sends its
 * last two ACKs and closes, so that this order happens every time rather than by chance.
 */
import { type Socket } from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTftpPacket, TftpOpcode } from '../../src/tftp/codec/packet.js';
import type { RunningProcess } from '../../lab/process.js';
import { openClientSocket, receive } from './raw-client.js';
import { makeTftpRoot, startTftpXenboot } from './support.js';

/** 10 blocks of 512 bytes, the last one short (392 bytes). */
const FILE = 'ten-blocks.bin';
const SIZE = 5000;

interface Peer {
  address: string;
  port: number;
}

const ack = (block: number) => encodeTftpPacket({ type: 'ack', block });

function sendTo(socket: Socket, packet: Buffer, to: Peer): Promise<void> {
  return new Promise((resolve, reject) => socket.send(packet, to.port, to.address, (error) => (error ? reject(error) : resolve())));
}

/** Receives DATA until `count` blocks have arrived; returns their block numbers. */
async function receiveBlocks(socket: Socket, count: number): Promise<number[]> {
  const blocks: number[] = [];
  while (blocks.length < count) {
    const reply = await receive(socket, 3_000);
    if (reply === null) throw new Error(`silence after blocks ${blocks.join(',')}`);
    if (reply.raw.readUInt16BE(0) !== TftpOpcode.Data) throw new Error(`unexpected opcode ${reply.raw.readUInt16BE(0)}`);
    blocks.push(reply.raw.readUInt16BE(2));
  }
  return blocks;
}

describe.each(['native', 'dgram'] as const)('a client that goes away (%s engine)', (engine) => {
  let tree: ReturnType<typeof makeTftpRoot>;
  let proc: RunningProcess | undefined;
  let port: number;

  beforeAll(async () => {
    tree = makeTftpRoot([]);
    writeFileSync(join(tree.root, FILE), Buffer.alloc(SIZE, 0x5a));
    ({ proc, port } = await startTftpXenboot(tree.dir, tree.root, { tftp: { engine }, logLevel: 'debug' }));
  }, 60_000);

  afterAll(async () => {
    await proc?.stop();
    if (tree) rmSync(tree.dir, { recursive: true, force: true });
  });

  /** Sends an RRQ for the file with windowsize 4, acknowledges the OACK; returns the socket and the server's transfer port. */
  async function startWindowed(): Promise<{ socket: Socket; server: Peer }> {
    const socket = await openClientSocket();
    const rrq = encodeTftpPacket({ type: 'rrq', filename: FILE, mode: 'octet', options: [{ name: 'windowsize', value: '4' }] });
    await sendTo(socket, rrq, { address: '127.0.0.1', port });
    const oack = await receive(socket, 3_000);
    expect(oack?.packet?.type).toBe('oack');
    const server = { address: oack!.address, port: oack!.port };
    await sendTo(socket, ack(0), server);
    expect(await receiveBlocks(socket, 4)).toEqual([1, 2, 3, 4]);
    return { socket, server };
  }

  /** Runs `action` with the server process stopped (SIGSTOP), so that it reads what was sent only afterwards. */
  async function whileServerStopped(action: () => Promise<void>): Promise<void> {
    process.kill(proc!.pid, 'SIGSTOP');
    try {
      await action();
    } finally {
      process.kill(proc!.pid, 'SIGCONT');
    }
  }

  /** The server's log line for the transfer from `clientPort`, once it is there (bounded wait). */
  async function endLine(clientPort: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const line = proc!
        .output()
        .split('\n')
        .find((l) => l.includes(`"client":"127.0.0.1:${clientPort}"`) && l.includes(`"file":"${FILE}"`));
      if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no log line for client port ${clientPort}:\n${proc!.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('after the OACK, before ACK 0: ends aborted, client port unreachable', async () => {
    // The OACK is resent on timeout to a closed port; its ICMP error is the socket's pending error, the
    // only thing to read (no datagram is queued behind it), and both engines must name it the same.
    const socket = await openClientSocket();
    const clientPort = socket.address().port;
    const rrq = encodeTftpPacket({ type: 'rrq', filename: FILE, mode: 'octet', options: [{ name: 'windowsize', value: '4' }] });
    await sendTo(socket, rrq, { address: '127.0.0.1', port });
    expect((await receive(socket, 3_000))?.packet?.type).toBe('oack');
    await new Promise<void>((resolve) => socket.close(resolve));
    const line = await endLine(clientPort);
    expect(line).toMatchObject({ msg: 'transfer aborted', outcome: 'aborted', error: 'client port unreachable', bytes: 0 });
  });

  it('mid-transfer: ends aborted, client port unreachable', async () => {
    const { socket, server } = await startWindowed();
    const clientPort = socket.address().port;
    // Stopped while the client acknowledges 4 and closes: blocks 5–8 then go to a closed port.
    await whileServerStopped(async () => {
      await sendTo(socket, ack(4), server);
      await new Promise<void>((resolve) => socket.close(resolve));
    });
    const line = await endLine(clientPort);
    expect(line).toMatchObject({ msg: 'transfer aborted', outcome: 'aborted', error: 'client port unreachable' });
    // Blocks 5–8 went out; nothing was acknowledged past block 4.
    expect(line.bytes).toBe(4 * 512);
  });

  it('after its final ACK, with resends on their way to its closed port: complete', async () => {
    const { socket, server } = await startWindowed();
    const clientPort = socket.address().port;
    await sendTo(socket, ack(4), server);
    expect(await receiveBlocks(socket, 4)).toEqual([5, 6, 7, 8]);
    // A trailing ACK: the server slides to 7 and sends 7–10. The client then has every block.
    await sendTo(socket, ack(6), server);
    expect(await receiveBlocks(socket, 4)).toEqual([7, 8, 9, 10]);
    // Trailing ACK 8 (the server will resend 9–10 for it), then the final ACK 10, then gone.
    await whileServerStopped(async () => {
      await sendTo(socket, ack(8), server);
      await sendTo(socket, ack(10), server);
      await new Promise<void>((resolve) => socket.close(resolve));
    });
    const line = await endLine(clientPort);
    expect(line).toMatchObject({ msg: 'transfer complete', outcome: 'complete', bytes: SIZE });
    expect(line.retransmits).toBeGreaterThanOrEqual(4);
  });
});
