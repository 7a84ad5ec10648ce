/**
 * `GET /api/v1/dhcp/rogue-servers` and the `xenboot_dhcp_rogue_*` metrics, fed by a `RogueWatch` that is
 * handed real DHCP packets (encoded and decoded) through the DHCP server's hook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType, Op } from '../../src/dhcp/packet.js';
import { RogueWatch } from '../../src/dhcp/rogue-watch.js';
import type { Logger } from '../../src/log.js';
import { EventBus } from '../../src/timeline/bus.js';
import { AUTH, buildHarness, type Harness } from '../../lab/http/harness.js';
import { request } from '../dhcp/requests.js';

const OWN = '10.207.8.1';
const ROGUE = '10.207.8.66';
const quiet = { warn: () => {} } as unknown as Logger;

function watch(): RogueWatch {
  return new RogueWatch({
    config: { passive: 'server-port', active: false, intervalSeconds: 300, probeMac: '02:78:62:00:00:01', allowedServers: ['10.207.8.3'] },
    serverAddress: OWN,
    events: new EventBus(),
    logger: quiet,
  });
}

/** A client's broadcast REQUEST choosing the server `serverId` (what xenboot's port 67 sees). */
function choosing(serverId: string, mac: string) {
  return decodePacket(encodePacket(request({ type: MessageType.Request, mac, options: { [Opt.ServerId]: ipBytes(serverId), [Opt.RequestedIp]: ipBytes('10.207.8.140') } })));
}

describe('GET /api/v1/dhcp/rogue-servers', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('lists the servers seen with how they were noticed, and the settings in force; /metrics counts them', async () => {
    const w = watch();
    h = await buildHarness({ rogueServers: () => w.report() });
    w.observe(choosing(ROGUE, '02:00:00:08:00:01'), { address: '0.0.0.0' });
    w.observe(choosing(ROGUE, '02:00:00:08:00:02'), { address: '0.0.0.0' });
    w.observe(choosing('10.207.8.3', '02:00:00:08:00:03'), { address: '0.0.0.0' }); // allowed
    const offer = { ...choosing(ROGUE, '02:00:00:08:00:04'), op: Op.Reply, type: MessageType.Offer, yiaddr: '10.207.8.150' };
    w.observe(offer, { address: ROGUE });
    const res = await h.app.inject({ url: '/api/v1/dhcp/rogue-servers' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.detection).toEqual({ enabled: true, passive: 'server-port', active: false, intervalSeconds: 300, probeMac: '02:78:62:00:00:01', allowedServers: ['10.207.8.3'], clientPort: 'off', probesSent: 0 });
    expect(body.servers).toHaveLength(1);
    expect(body.servers[0]).toMatchObject({ serverId: ROGUE, sightings: 3, via: ['server-port'], sourceIps: [ROGUE], lastMessageType: 'OFFER', lastClientMac: '02:00:00:08:00:04', lastOffered: '10.207.8.150' });

    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^xenboot_dhcp_rogue_servers 1$/m);
    expect(metrics).toMatch(/^xenboot_dhcp_rogue_sightings_total\{server="10\.207\.8\.66"\} 3$/m);
    expect(metrics).not.toContain('10.207.8.3');
  });

  it('answers with detection disabled when DHCP is off, is in the OpenAPI document, and needs the token when reads do', async () => {
    h = await buildHarness();
    expect((await h.app.inject({ url: '/api/v1/dhcp/rogue-servers' })).json()).toMatchObject({ detection: { enabled: false }, servers: [] });
    expect(Object.keys((await h.app.inject({ url: '/openapi.json' })).json().paths)).toContain('/api/v1/dhcp/rogue-servers');
    await h.close();
    h = await buildHarness({ config: { http: { token: 'test-token-0123456789abcdef', readAccess: 'token' } } });
    expect((await h.app.inject({ url: '/api/v1/dhcp/rogue-servers' })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/api/v1/dhcp/rogue-servers', headers: AUTH })).statusCode).toBe(200);
  });
});
