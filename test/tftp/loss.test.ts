/**
 * Packet loss on a real link: xenboot in one network namespace, tftp-hpa and atftp in another, joined by
 * a veth pair; iptables in the client namespace drops 0.5 % of incoming UDP at random (netem is not
 * available here). Every 40 MiB download must complete with the right MD5. The server's retransmit
 * timeout is lowered to 50 ms so the ~400 stalls of a 512-byte-block transfer fit in the test budget;
 * recovery is the same as with the 1 s default, only faster.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { makeTftpRoot, md5, startTftpXenboot } from './support.js';

const SERVER_IP = '10.201.1.1';
const CLIENT_IP = '10.201.1.2';

let tree: ReturnType<typeof makeTftpRoot>;
let serverNs: Namespace | undefined;
let clientNs: Namespace | undefined;
let proc: RunningProcess | undefined;
let port: number;

beforeAll(async () => {
  if (!isRoot()) throw new Error('the loss test needs root (network namespaces, iptables)');
  await requireCommands('ip', 'iptables', 'tftp', 'atftp');
  tree = makeTftpRoot(['forty-mib.bin']);
  serverNs = await Namespace.create('xbts');
  clientNs = await Namespace.create('xbtc');
  await connect(serverNs, `${SERVER_IP}/24`, clientNs, `${CLIENT_IP}/24`);
  const drop = await clientNs.exec('iptables', ['-A', 'INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', '0.005', '-j', 'DROP'], { timeoutMs: 10_000 });
  if (drop.code !== 0) throw new Error(`iptables failed: ${drop.stderr}`);
  ({ proc, port } = await startTftpXenboot(tree.dir, tree.root, { address: SERVER_IP, ns: serverNs, tftp: { timeoutMs: 50, retries: 20 } }));
}, 90_000);

afterAll(async () => {
  await proc?.stop();
  await clientNs?.delete();
  await serverNs?.delete();
  if (tree) rmSync(tree.dir, { recursive: true, force: true });
});

describe('0.5 % packet loss on the receiving side', () => {
  it('tftp-hpa and atftp all complete 40 MiB downloads intact', async () => {
    const ns = clientNs!;
    const out = (name: string) => join(tree.out, name);
    const runs = [
      ns.exec('tftp', ['-m', 'binary', SERVER_IP, String(port), '-c', 'get', 'forty-mib.bin', out('hpa-1.bin')], { timeoutMs: 150_000 }),
      ns.exec('tftp', ['-m', 'binary', SERVER_IP, String(port), '-c', 'get', 'forty-mib.bin', out('hpa-2.bin')], { timeoutMs: 150_000 }),
      ns.exec('atftp', ['--option', 'blksize 512', '-g', '-r', 'forty-mib.bin', '-l', out('atftp-512.bin'), SERVER_IP, String(port)], { timeoutMs: 150_000 }),
      ns.exec('atftp', ['--option', 'blksize 1468', '--option', 'tsize 0', '-g', '-r', 'forty-mib.bin', '-l', out('atftp-1468.bin'), SERVER_IP, String(port)], { timeoutMs: 150_000 }),
    ];
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.timedOut).toBe(false);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/Error|timed out/);
    }
    for (const name of ['hpa-1.bin', 'hpa-2.bin', 'atftp-512.bin', 'atftp-1468.bin']) expect(md5(out(name)), name).toBe(tree.md5s['forty-mib.bin']);
    // The loss really happened: the server logged retransmissions.
    const retransmits = [...proc!.output().matchAll(/"retransmits":(\d+)/g)].map((m) => Number(m[1]));
    expect(retransmits.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    // And the iptables rule dropped packets.
    const counters = await ns.exec('iptables', ['-L', 'INPUT', '-n', '-v', '-x'], { timeoutMs: 10_000 });
    const dropped = Number(counters.stdout.split('\n').find((l) => l.includes('statistic'))?.trim().split(/\s+/)[0] ?? 0);
    expect(dropped).toBeGreaterThan(100);
  }, 170_000);

  it('atftp with windowsize 16 completes intact, resending at most one window per lost packet', async () => {
    // atftp acknowledges every 16th block it receives, counted its own way, and not at a gap. Its ACKs
    // then fall inside the server's windows after each resend; a server that went back for each of them
    // would send every block twice from the first loss on (about 90 resends per loss were measured).
    const ns = clientNs!;
    const zero = await ns.exec('iptables', ['-Z', 'INPUT'], { timeoutMs: 10_000 });
    expect(zero.code, zero.stderr).toBe(0);
    const linesBefore = completeLines().length;
    const local = join(tree.out, 'atftp-window.bin');
    const args = ['--option', 'blksize 1468', '--option', 'windowsize 16', '-g', '-r', 'forty-mib.bin', '-l', local, SERVER_IP, String(port)];
    const result = await ns.exec('atftp', args, { timeoutMs: 150_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(md5(local)).toBe(tree.md5s['forty-mib.bin']);
    const dropped = await droppedPackets(ns);
    expect(dropped).toBeGreaterThan(20);
    let lines = completeLines();
    for (let i = 0; i < 100 && lines.length === linesBefore; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      lines = completeLines();
    }
    const line = JSON.parse(lines.at(-1)!) as { windowsize: number; retransmits: number };
    expect(line.windowsize).toBe(16);
    expect(line.retransmits).toBeGreaterThan(0);
    expect(line.retransmits).toBeLessThanOrEqual(16 * dropped);
  }, 170_000);
});

function completeLines(): string[] {
  return proc!
    .output()
    .split('\n')
    .filter((l) => l.includes('"msg":"transfer complete"'));
}

/** Packets the client namespace's random-drop rule has dropped since its counters were last zeroed. */
async function droppedPackets(ns: Namespace): Promise<number> {
  const counters = await ns.exec('iptables', ['-L', 'INPUT', '-n', '-v', '-x'], { timeoutMs: 10_000 });
  return Number(counters.stdout.split('\n').find((l) => l.includes('statistic'))?.trim().split(/\s+/)[0] ?? 0);
}
