/**
 * The boot timeline of one machine driven by real clients, in network namespaces this test creates
 * (prefix `xbh`, subnet 10.204.50.0/24): busybox udhcpc leases an address from `xenboot serve`, then
 * `curl tftp://` and `curl http://` fetch files. The timeline of the client's MAC must list DHCP, then
 * TFTP, then HTTP, with the TFTP and HTTP events attributed to the MAC by the leased address.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootEvent } from '../../src/timeline/types.js';
import { connect, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const SERVER = '10.204.50.1';
const CLIENT_MAC = '52:54:00:cb:50:01';

describe('timeline across DHCP → TFTP → HTTP for one machine (real clients)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-timeline-'));
  let server: Namespace | undefined;
  let client: Namespace | undefined;
  let clientIf = '';
  let xenboot: RunningProcess | undefined;

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root (network namespaces)');
    await requireCommands('ip', 'busybox', 'curl');
    server = await Namespace.create('xbhs');
    client = await Namespace.create('xbhc');
    [, clientIf] = await connect(server, `${SERVER}/24`, client, null);
    await client.ip('link', 'set', clientIf, 'address', CLIENT_MAC);

    const root = join(dir, 'tftproot');
    mkdirSync(root);
    writeFileSync(join(root, 'pxelinux.0'), Buffer.alloc(40_000, 1));
    writeFileSync(join(root, 'vmlinuz'), Buffer.alloc(300_000, 2));
    const config = writeTempConfig(
      {
        log: { level: 'info', format: 'json' },
        server: { address: SERVER },
        dhcp: { mode: 'full', subnet: '10.204.50.0/24', ranges: [{ start: '10.204.50.100', end: '10.204.50.120' }], leaseTime: 600 },
        tftp: { root },
        http: { port: 8080, readAccess: 'open' },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
    // udhcpc's script: configure the leased address on the interface.
    const script = join(dir, 'udhcpc.sh');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";; esac\n');
    chmodSync(script, 0o755);
  });

  afterAll(async () => {
    await xenboot?.stop();
    await client?.delete();
    await server?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the lease, the TFTP download and the HTTP download in order under the client’s MAC', async () => {
    const lease = await client!.exec('busybox', ['udhcpc', '-i', clientIf, '-f', '-q', '-n', '-t', '5', '-T', '2', '-s', join(dir, 'udhcpc.sh')], { timeoutMs: 30_000 });
    expect(lease.code, lease.stderr + lease.stdout).toBe(0);
    const address = /inet (10\.204\.50\.\d+)\//.exec(await client!.ip('-4', 'addr', 'show', 'dev', clientIf))?.[1];
    expect(address).toMatch(/^10\.204\.50\.1(0\d|1\d|20)$/);

    const tftp = await client!.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{size_download}', `tftp://${SERVER}/pxelinux.0`], { timeoutMs: 30_000 });
    expect(tftp.stdout, tftp.stderr).toBe('40000');
    const http = await client!.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${SERVER}:8080/vmlinuz`], { timeoutMs: 30_000 });
    expect(http.stdout, http.stderr).toBe('200 300000');

    // Events are written in batches; poll the timeline briefly (bounded).
    let events: BootEvent[] = [];
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const res = await client!.exec('curl', ['-sS', '--max-time', '5', `http://${SERVER}:8080/api/machines/${CLIENT_MAC}/timeline`], { timeoutMs: 10_000 });
      events = (JSON.parse(res.stdout) as { events: BootEvent[] }).events;
      if (events.some((e) => e.kind === 'http')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const steps = events.map((e) => (e.kind === 'dhcp' ? `dhcp ${e.messageType}->${e.reply}` : e.kind === 'tftp' ? `tftp ${e.file} ${e.outcome}` : e.kind === 'http' ? `http ${e.path} ${e.status}` : e.kind));
    expect(steps).toEqual(['dhcp DISCOVER->OFFER', 'dhcp REQUEST->ACK', 'tftp pxelinux.0 complete', 'http /vmlinuz 200']);
    expect(events.every((e) => e.mac === CLIENT_MAC)).toBe(true);
    expect(events.slice(2).every((e) => e.ip === address)).toBe(true);
    const times = events.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The same exchanges, scraped from the running server's /metrics and read by a strict parser.
    const scrape = await client!.exec('curl', ['-sS', '--max-time', '5', `http://${SERVER}:8080/metrics`], { timeoutMs: 10_000 });
    const families = parsePrometheusText(scrape.stdout);
    expect(sampleValue(families, 'xenboot_dhcp_messages_total', { type: 'DISCOVER', reply: 'OFFER' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_messages_total', { type: 'REQUEST', reply: 'ACK' })).toBe(1);
    const pool = families.get('xenboot_dhcp_pool_addresses')!.samples;
    expect(pool.find((s) => s.labels.state === 'used')?.value).toBe(1);
    expect(pool.find((s) => s.labels.state === 'free')?.value).toBe(20);
    expect(sampleValue(families, 'xenboot_tftp_transfers_total', { outcome: 'complete' })).toBe(1);
    expect(sampleValue(families, 'xenboot_tftp_bytes_total')).toBe(40_000);
    expect(sampleValue(families, 'xenboot_boot_phase_total', { profile: 'unknown', phase: 'tftp' })).toBe(1);
    expect(sampleValue(families, 'xenboot_boot_phase_total', { profile: 'unknown', phase: 'http' })).toBe(1);
  });
});
