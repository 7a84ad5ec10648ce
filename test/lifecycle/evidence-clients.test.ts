/**
 * Evidence from real clients, against `xenboot serve` in namespaces this test creates (`xlc…`,
 * 10.205.31.0/24): busybox udhcpc takes leases (its DISCOVERs are boot attempts), curl fetches the
 * one-shot profile's kernel and initrd over TFTP and HTTP. A download cut short (the client's firewall
 * drops the transfer past its first 100 kB, curl gives up in the
 * middle of a TFTP transfer; xenboot times it out) and a new DISCOVER restart the evidence; the action is
 * consumed only when kernel and initrd are fetched to the end in one attempt, and the machine's generated
 * PXELINUX file switches back to its own profile.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';

const SERVER = '10.205.31.1';
const MAC = '52:54:00:30:01:11';
const TOKEN = 'evidence-token-0123456789';

describe('lifecycle evidence from real TFTP, HTTP and DHCP clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-lc-evidence-'));
  let server: Namespace | undefined;
  let client: Namespace | undefined;
  let clientIf = '';
  let xenboot: RunningProcess | undefined;

  const curl = (...args: string[]) => client!.exec('curl', ['-sS', ...args], { timeoutMs: 60_000 });
  const api = async (method: string, path: string, body?: unknown) => {
    const args = ['-m', '20', '-X', method, '-H', `authorization: Bearer ${TOKEN}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body));
    // From the server's namespace: the operator is not the booting machine.
    const result = await server!.exec('curl', ['-sS', ...args, `http://${SERVER}:8080${path}`], { timeoutMs: 30_000 });
    return JSON.parse(result.stdout);
  };
  const lease = async () => {
    const result = await client!.exec('busybox', ['udhcpc', '-i', clientIf, '-f', '-q', '-n', '-t', '5', '-T', '2', '-s', join(dir, 'udhcpc.sh')], { timeoutMs: 30_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
  };
  /** The lifecycle once the recorder has passed the last events on (they are applied asynchronously). */
  const settled = async (until: (view: any) => boolean) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const view = await api('GET', `/api/v1/hosts/${MAC}/lifecycle`);
      if (until(view) || Date.now() > deadline) return view;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root (network namespaces)');
    await requireCommands('ip', 'busybox', 'curl', 'iptables');
    server = await Namespace.create('xlcs');
    client = await Namespace.create('xlcc');
    [, clientIf] = await connect(server, `${SERVER}/24`, client, null);
    await client.ip('link', 'set', clientIf, 'address', MAC);
    const root = join(dir, 'tftproot');
    for (const sub of ['linux', 'rescue']) mkdirSync(join(root, sub), { recursive: true });
    writeFileSync(join(root, 'linux/vmlinuz'), Buffer.alloc(50_000, 1));
    writeFileSync(join(root, 'linux/initrd.img'), Buffer.alloc(50_000, 2));
    writeFileSync(join(root, 'rescue/vmlinuz'), Buffer.alloc(200_000, 3));
    writeFileSync(join(root, 'rescue/initrd.img'), Buffer.alloc(3_000_000, 4));
    const config = writeTempConfig(
      {
        log: { level: 'info', format: 'json' },
        server: { address: SERVER },
        dhcp: { mode: 'full', subnet: '10.205.31.0/24', ranges: [{ start: '10.205.31.100', end: '10.205.31.120' }], leaseTime: 600 },
        tftp: { root, timeoutMs: 300, retries: 2 },
        http: { port: 8080, token: TOKEN, readAccess: 'open' },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        inventory: {
          profiles: [
            { name: 'normal', kind: 'linux', kernel: 'linux/vmlinuz', initrds: ['linux/initrd.img'], args: ['normal=1'] },
            { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: ['rescue=1'] },
          ],
          hosts: [{ mac: MAC, hostname: 'evidence-node', profile: 'normal' }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
    writeFileSync(join(dir, 'udhcpc.sh'), '#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";; esac\n');
    chmodSync(join(dir, 'udhcpc.sh'), 0o755);
  });

  afterAll(async () => {
    await xenboot?.stop();
    await client?.delete();
    await server?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cut-short download and a retry keep the one-shot profile; kernel and initrd to the end consume it', async () => {
    expect((await api('PUT', `/api/v1/hosts/${MAC}/next-boot`, { action: 'once', profile: 'rescue' })).lifecycle.state).toBe('pending');
    await lease();
    const config = (await curl('--max-time', '20', `tftp://${SERVER}/pxelinux.cfg/01-52-54-00-30-01-11`)).stdout;
    expect(config).toContain('rescue/vmlinuz');
    expect(config).toMatch(/xenboot\.callback=http:\/\/10\.205\.31\.1:8080\/api\/v1\/lifecycle\/callback\/52-54-00-30-01-11\//);

    // Attempt 1: the kernel to the end over TFTP, then the initrd cut short.
    expect((await curl('--max-time', '20', '-o', '/dev/null', '-w', '%{size_download}', `tftp://${SERVER}/rescue/vmlinuz`)).stdout).toBe('200000');
    expect(await settled((v) => v.state === 'booting')).toMatchObject({ state: 'booting', fetched: ['rescue/vmlinuz'] });
    // The cut: the client's firewall drops every UDP packet of a flow past its first 100 kB (conntrack's
    // connbytes), so curl stops getting data mid-file and gives up.
    const cut = ['-p', 'udp', '-m', 'connbytes', '--connbytes', '100000:', '--connbytes-dir', 'both', '--connbytes-mode', 'bytes', '-j', 'DROP'];
    await client!.exec('iptables', ['-A', 'INPUT', ...cut], { timeoutMs: 10_000 });
    const partial = await curl('--max-time', '3', '-o', '/dev/null', '-w', '%{size_download}', `tftp://${SERVER}/rescue/initrd.img`);
    await client!.exec('iptables', ['-D', 'INPUT', ...cut], { timeoutMs: 10_000 });
    expect(Number(partial.stdout)).toBeLessThan(3_000_000);
    // The server gives up on the silent client after its retries (300 ms × 2); the broken-off initrd is in the timeline.
    const timelineHasTimeout = async () => {
      const events = (await api('GET', `/api/v1/machines/${MAC}/timeline`)).events as Array<{ kind: string; file?: string; outcome?: string }>;
      return events.some((e) => e.kind === 'tftp' && e.file === 'rescue/initrd.img' && e.outcome !== 'complete');
    };
    for (let i = 0; i < 30 && !(await timelineHasTimeout()); i += 1) await new Promise((r) => setTimeout(r, 300));
    expect(await timelineHasTimeout(), JSON.stringify((await api("GET", `/api/v1/machines/${MAC}/timeline`)).events.filter((e: { kind: string }) => e.kind === "tftp"))).toBe(true);
    expect(await api('GET', `/api/v1/hosts/${MAC}/lifecycle`)).toMatchObject({ state: 'booting', fetched: ['rescue/vmlinuz'] });

    // Attempt 2 (a power loss, a new DISCOVER): the evidence starts over, the one-shot profile is still served.
    await lease();
    expect(await settled((v) => v.attempts === 1)).toMatchObject({ state: 'pending', attempts: 1, fetched: [] });
    expect((await curl('--max-time', '20', `tftp://${SERVER}/pxelinux.cfg/01-52-54-00-30-01-11`)).stdout).toContain('rescue/initrd.img');
    // Initrd over HTTP this time, then the kernel over TFTP: both to the end in one attempt.
    expect((await curl('--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${SERVER}:8080/rescue/initrd.img`)).stdout).toBe('200 3000000');
    expect(await settled((v) => v.fetched?.length === 1)).toMatchObject({ state: 'booting', fetched: ['rescue/initrd.img'] });
    expect((await curl('--max-time', '20', '-o', '/dev/null', '-w', '%{size_download}', `tftp://${SERVER}/rescue/vmlinuz`)).stdout).toBe('200000');
    const consumed = await settled((v) => v.state === 'idle');
    expect(consumed).toMatchObject({ state: 'idle', callbackOpen: true, result: { outcome: 'consumed' }, nextBoot: { profile: 'normal' } });
    const after = (await curl('--max-time', '20', `tftp://${SERVER}/pxelinux.cfg/01-52-54-00-30-01-11`)).stdout;
    expect(after).toContain('linux/vmlinuz');
    expect(after).not.toContain('xenboot.callback');

    const events = (await api('GET', `/api/v1/machines/${MAC}/timeline`)).events as Array<{ kind: string; change?: string; message?: string }>;
    expect(events.filter((e) => e.kind === 'lifecycle').map((e) => `${e.change}: ${e.message ?? ''}`)).toEqual([
      'armed: ',
      'booting: rescue/vmlinuz fetched to the end',
      'attempt: attempt 1',
      'booting: rescue/initrd.img fetched to the end',
      'consumed: kernel and initrds fetched to the end',
    ]);
  });
});
