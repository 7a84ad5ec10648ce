/**
 * Hostile input while transfers run, against a real `xenboot serve` child: malformed datagrams to the
 * listening port, garbage and spoofed packets (from another port) to transfer ports. The service must
 * survive and the transfers beside them must complete intact.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands, runCommand, startProcess, type RunningProcess } from '../../lab/process.js';
import { encodeTftpPacket } from '../../src/tftp/codec/packet.js';
import { openClientSocket, rawDownload } from './raw-client.js';
import { makeTftpRoot, md5, startTftpXenboot } from './support.js';

let tree: ReturnType<typeof makeTftpRoot>;
let proc: RunningProcess;
let port: number;

beforeAll(async () => {
  await requireCommands('atftp', 'tftp', 'ss');
  tree = makeTftpRoot(['b513.bin', 'one-mib.bin', 'forty-mib.bin']);
  ({ proc, port } = await startTftpXenboot(tree.dir, tree.root));
}, 60_000);

afterAll(async () => {
  await proc?.stop();
  if (tree) rmSync(tree.dir, { recursive: true, force: true });
});

/** Datagrams that are not valid requests, or are requests with absurd contents. */
function hostileDatagrams(): Buffer[] {
  const rrq = (filename: string, options: Array<[string, string]>) =>
    encodeTftpPacket({ type: 'rrq', filename, mode: 'octet', options: options.map(([name, value]) => ({ name, value })) });
  const list: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from([1]),
    Buffer.from([0]),
    Buffer.from([0, 1]),
    Buffer.from('\x00\x01pxelinux.0', 'latin1'), // unterminated filename
    Buffer.from('\x00\x01pxelinux.0\x00oct', 'latin1'), // unterminated mode
    Buffer.from('\x00\x01pxelinux.0\x00octet\x00blksize\x00', 'latin1'), // option without value
    Buffer.from('\x00\x03\x00', 'latin1'), // short DATA
    Buffer.from('\x00\x04\x00\x01', 'latin1'), // ACK to the listening port
    Buffer.from('\x00\x05\x00\x00oops', 'latin1'), // ERROR to the listening port
    Buffer.from('\x00\x06blksize\x001\x00', 'latin1'), // OACK to the listening port
    Buffer.from([0, 99, 1, 2, 3]), // unknown opcode
    Buffer.alloc(60_000), // big and empty
    rrq('b513.bin', [['blksize', '99999999999999'], ['windowsize', '0'], ['timeout', '100000'], ['tsize', '-1']]),
    rrq('b513.bin', Array.from({ length: 300 }, (_, i) => [`opt${i}`, 'x'.repeat(50)] as [string, string])),
    rrq('b513.bin', [['blksize', '1'], ['blksize', '65464']]),
    rrq('x'.repeat(1400), []),
    rrq('../../../etc/shadow', []),
    rrq('\\..\\..\\etc\\shadow', []),
    encodeTftpPacket({ type: 'wrq', filename: 'evil', mode: 'octet', options: [] }),
  ];
  for (let i = 0; i < 100; i += 1) list.push(randomBytes(1 + (i % 50)));
  return list;
}

/** UDP ports of xenboot's transfer sockets (everything it has open on 127.0.0.1 except the listener). */
async function transferPorts(): Promise<number[]> {
  const result = await runCommand('ss', ['-Huanp'], { timeoutMs: 5_000 });
  const ports: number[] = [];
  for (const line of result.stdout.split('\n')) {
    if (!line.includes(`pid=${proc.pid},`)) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    const p = Number(local.split(':').at(-1));
    if (Number.isInteger(p) && p !== port) ports.push(p);
  }
  return ports;
}

describe('hostile datagrams beside running transfers', () => {
  it('leave the service up and the transfers intact', async () => {
    const local = join(tree.out, 'forty-mib.bin');
    const atftp = startProcess('atftp', ['--option', 'blksize 512', '-g', '-r', 'forty-mib.bin', '-l', local, '127.0.0.1', String(port)]);
    const stranger = await openClientSocket();
    const hostileSender = await openClientSocket();
    try {
      // Wait until atftp's transfer is running (its socket shows up), then attack it and the listener.
      let victims: number[] = [];
      for (let i = 0; i < 100 && victims.length === 0; i += 1) {
        victims = await transferPorts();
        if (victims.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(victims.length).toBeGreaterThan(0);
      for (const datagram of hostileDatagrams()) {
        hostileSender.send(datagram, port, '127.0.0.1');
        for (const victim of victims) stranger.send(datagram, victim, '127.0.0.1');
      }
      for (const victim of victims) {
        // Spoofed from another port: an ERROR that would abort, an ACK far ahead, a DATA.
        stranger.send(encodeTftpPacket({ type: 'error', code: 8, message: 'abort' }), victim, '127.0.0.1');
        stranger.send(encodeTftpPacket({ type: 'ack', block: 60000 }), victim, '127.0.0.1');
        stranger.send(encodeTftpPacket({ type: 'data', block: 1, data: Buffer.from('x') }), victim, '127.0.0.1');
      }

      // A transfer whose port we know, attacked mid-way from another port.
      let attacked = false;
      const raw = await rawDownload('127.0.0.1', port, 'one-mib.bin', [{ name: 'blksize', value: '1024' }], {
        onData: (block, from) => {
          if (block !== 100 || attacked) return;
          attacked = true;
          stranger.send(encodeTftpPacket({ type: 'error', code: 0, message: 'spoofed abort' }), from.port, '127.0.0.1');
          stranger.send(encodeTftpPacket({ type: 'ack', block: 1023 }), from.port, '127.0.0.1');
          for (const datagram of hostileDatagrams().slice(0, 30)) stranger.send(datagram, from.port, '127.0.0.1');
        },
      });
      expect(attacked).toBe(true);
      expect(raw.error).toBeNull();
      expect(md5(raw.data)).toBe(tree.md5s['one-mib.bin']);

      const code = await Promise.race([atftp.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
      expect(code, atftp.output()).toBe(0);
      expect(md5(local)).toBe(tree.md5s['forty-mib.bin']);
    } finally {
      stranger.close();
      hostileSender.close();
      await atftp.stop();
    }

    // Still serving, and never logged a crash.
    const after = await runCommand('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'b513.bin', join(tree.out, 'after.bin')], { timeoutMs: 10_000 });
    expect(after.stdout + after.stderr).not.toMatch(/Error|timed out/);
    expect(md5(join(tree.out, 'after.bin'))).toBe(tree.md5s['b513.bin']);
    expect(proc.child.exitCode).toBeNull();
    expect(proc.output()).not.toMatch(/"level":(50|60)|uncaught|TypeError|RangeError/i);
  });
});
