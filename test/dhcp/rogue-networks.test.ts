/**
 * Rogue DHCP detection on a second boot network (`dhcp.networks`): xenboot serves 10.207.0.0/25 on one
 * bridge and 10.207.0.128/25 on another, in network namespaces (prefix `xrg`). A dnsmasq sits on the
 * second network only, where the probe can reach it only if it is sent there too (a broadcast leaves one
 * interface). The test checks that the probe finds it, that the answer names dnsmasq's identifier on that
 * network, and that xenboot's own address there is never reported. Needs root and dnsmasq.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToBridge, createBridge, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import type { RogueServersAnswer } from '../../src/http/routes/rogue-servers.js';

const A = '10.207.0.1';
const B = '10.207.0.129';
const ROGUE_B = '10.207.0.130';
const PROBE_MAC = '02:78:62:00:07:02';

describe('rogue DHCP detection on a second boot network', () => {
  const namespaces: Namespace[] = [];
  let hub: Namespace;
  let xenboot: RunningProcess;
  let rogue: RunningProcess;

  beforeAll(async () => {
    await requireCommands('ip', 'dnsmasq', 'curl');
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-rogue-networks-'));
    hub = await Namespace.create('xrg');
    namespaces.push(hub);
    await createBridge(hub, `${A}/25`);
    const bridgeB = await createBridge(hub, `${B}/25`);
    const ns = await Namespace.create('xrg');
    namespaces.push(ns);
    const ifName = await attachToBridge(hub, bridgeB, ns, `${ROGUE_B}/25`);
    rogue = ns.spawn('dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--port=0',
      `--interface=${ifName}`,
      '--bind-interfaces',
      '--dhcp-range=10.207.0.200,10.207.0.210,255.255.255.128,1h',
      `--dhcp-leasefile=${join(dir, 'rogue.leases')}`,
      '--pid-file=',
      '--log-facility=-',
      '--log-dhcp',
    ]);
    await rogue.waitFor(/started, version/, 15_000);
    const config = writeTempConfig(
      {
        server: { address: A },
        log: { level: 'info', format: 'json' },
        http: { enabled: true, address: A, port: 8080, readAccess: 'open' },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        dhcp: {
          mode: 'full',
          subnet: '10.207.0.0/25',
          ranges: [{ start: '10.207.0.50', end: '10.207.0.60' }],
          networks: [{ interface: bridgeB, serverAddress: B, subnet: '10.207.0.128/25', ranges: [{ start: '10.207.0.150', end: '10.207.0.160' }] }],
          rogueDetection: { active: true, intervalSeconds: 5, probeMac: PROBE_MAC },
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, hub);
  }, 60_000);

  afterAll(async () => {
    await xenboot?.stop('SIGTERM', 3_000);
    for (const ns of namespaces.reverse()) await ns.delete();
  });

  it('the probe goes out on the second network too and finds the dnsmasq there', async () => {
    const read = async () => {
      const result = await hub.exec('curl', ['-sS', '--max-time', '5', `http://${A}:8080/api/v1/dhcp/rogue-servers`], { timeoutMs: 10_000 });
      return JSON.parse(result.stdout) as RogueServersAnswer;
    };
    let answer = await read();
    for (let i = 0; i < 40 && answer.servers.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await read();
    }
    expect(answer.servers).toHaveLength(1);
    expect(answer.servers[0]).toMatchObject({ serverId: ROGUE_B, via: ['probe'], sourceIps: [ROGUE_B], lastMessageType: 'OFFER' });
    expect(Number(answer.servers[0]!.lastOffered!.split('.')[3])).toBeGreaterThanOrEqual(200);
    // dnsmasq saw the probe relayed through xenboot's address on its network.
    expect(rogue.output()).toMatch(new RegExp(`DHCPDISCOVER\\(${'[^)]*'}\\) ${PROBE_MAC}`));
    expect(rogue.output()).not.toMatch(new RegExp(`DHCPREQUEST\\S* .*${PROBE_MAC}`));
  });
});
