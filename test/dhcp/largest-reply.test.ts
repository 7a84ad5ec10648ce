/**
 * The largest reply the properties allow, taken by a real client: busybox udhcpc in a network namespace
 * (prefix `xpr`, 10.208.0.0/24) against `xenboot serve`. The config fills the reply to exactly 548 bytes
 * (udhcpc sends option 57 = 576) with nothing dropped: 10 DNS servers, a long domain, a 63-character
 * host name, PXELINUX 209/210/211, a 127-byte boot file (the whole `file` field) and a site option sized
 * to the last byte. udhcpc must bind and hand every one of them to its script. Needs root and busybox.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import { buildConfig } from '../../src/config/load.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import { LeaseTable } from '../../src/dhcp/leases.js';
import { encodePacket, MessageType } from '../../src/dhcp/packet.js';
import { encodeReply } from '../../src/dhcp/reply.js';
import { respond } from '../../src/dhcp/responder.js';
import { buildSubnets } from '../../src/dhcp/subnets.js';
import { requireCommands } from '../../lab/process.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { checkReply, readRequest } from './firmware-reply-checker.js';
import { envScript, lastEnv, startLab, type DhcpLab } from './lab.js';
import { request } from './requests.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

const SERVER = '10.208.0.1';
const MAC = '02:00:00:08:00:aa';
const FILLER = 150;
const dns = Array.from({ length: 10 }, (_, i) => `10.208.0.${30 + i}`);
const domain = `${'d'.repeat(50)}.${'e'.repeat(40)}.example`;
const hostname = `h${'o'.repeat(61)}1`;
const bootFile = `boot/${'f'.repeat(118)}.0`;

function dhcpSection(fillerBytes: number): Record<string, unknown> {
  return {
    mode: 'full',
    subnet: '10.208.0.0/24',
    ranges: [{ start: '10.208.0.100', end: '10.208.0.150' }],
    router: SERVER,
    dns,
    domain,
    reservations: [{ mac: MAC, ip: '10.208.0.10', hostname }],
    pxelinux: { configFile: 'pxelinux.cfg/largest', pathPrefix: '/srv/tftp/', rebootTime: 300 },
    boot: { fallback: bootFile },
    options: [{ code: FILLER, type: 'hex', value: 'a5'.repeat(fillerBytes), always: true }],
    rateLimit: { perSecond: 50, burst: 50 },
  };
}

/** The ACK xenboot builds for udhcpc's REQUEST under this config, computed without sockets. */
async function offlineAck(fillerBytes: number): Promise<{ bytes: Buffer; dropped: number[] | undefined; requestBytes: Buffer }> {
  const built = buildConfig({ server: { address: SERVER }, dhcp: dhcpSection(fillerBytes) }, { baseDir: '/tmp', privileged: false });
  if (!built.ok) throw new Error(built.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const config = built.config;
  const subnets = buildSubnets(config.dhcp);
  const leases = new LeaseTable(createMemoryLeaseStore(), subnets, new Map([[MAC, '10.208.0.10']]), [SERVER], false);
  const booter = createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, singlePublicUrl(config.http.publicUrl)) });
  const now = Date.now();
  // What `udhcpc -o -O 150` sends: option 55 = [150], option 57 = 576, a client id.
  const udhcpc = { 55: Buffer.from([FILLER]), 57: Buffer.from([0x02, 0x40]), 61: Buffer.from([1, 2, 0, 0, 8, 0, 0xaa]), 60: 'udhcp 1.35.0' };
  const req = request({ type: MessageType.Request, mac: MAC, options: { ...udhcpc, 54: Buffer.from([10, 208, 0, 1]), 50: Buffer.from([10, 208, 0, 10]) } });
  const outcome = await respond(req, { address: '0.0.0.0', port: 68, via: 'dhcp' }, { config: config.dhcp, serverAddress: SERVER, subnets, booter, leases, now });
  return { bytes: encodeReply(outcome.reply!.packet), dropped: outcome.dropped, requestBytes: encodePacket(req) };
}

describe('busybox udhcpc takes the largest reply xenboot sends it', () => {
  let lab: DhcpLab;
  let fillerBytes = 1;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox');
    // Size the site option so the reply is exactly 548 bytes.
    const first = await offlineAck(1);
    if (first.dropped !== undefined) throw new Error(`the reply without the site option is already too large: ${first.dropped.join(', ')} dropped`);
    fillerBytes = 1 + 548 - first.bytes.length;
    lab = await startLab(`${SERVER}/24`, { server: { address: SERVER }, dhcp: dhcpSection(fillerBytes) }, 'xpr');
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('the reply is 548 bytes, drops nothing and passes the strict checker', async () => {
    const { bytes, dropped, requestBytes } = await offlineAck(fillerBytes);
    expect(bytes.length).toBe(548);
    expect(dropped).toBeUndefined();
    const { problems } = checkReply(bytes, { request: readRequest(requestBytes), serverAddress: SERVER, expectType: MessageType.Ack, bootFile });
    expect(problems).toEqual([]);
  });

  it('udhcpc binds and its script sees every option of the 548-byte reply', async () => {
    await lab.useMac(MAC);
    const { script, file } = envScript(lab.dir, 'largest');
    const result = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-o', '-O', String(FILLER), '-i', lab.clientIf, '-s', script, '-t', '3', '-T', '2', '-A', '1'], { timeoutMs: 30_000 });
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const env = lastEnv(text, /EVENT=bound/);
    expect(result.stderr + result.stdout).toMatch(/lease of 10\.208\.0\.10 obtained from 10\.208\.0\.1/);
    expect(env).toMatchObject({
      ip: '10.208.0.10',
      subnet: '255.255.255.0',
      router: SERVER,
      dns: dns.join(' '),
      domain,
      hostname,
      serverid: SERVER,
      siaddr: SERVER,
      boot_file: bootFile,
      lease: '3600',
    });
    expect(env[`opt${FILLER}`]).toBe('a5'.repeat(fillerBytes));
    // The server built the same reply: nothing dropped for this client.
    const acks = lab.exchanges().filter((e) => e.mac === MAC && e.reply === 'ACK');
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect((ack as { dropped?: number[] }).dropped).toBeUndefined();
  });
});
