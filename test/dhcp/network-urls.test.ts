/**
 * The URL a DHCP answer names is on the client's own network: an iPXE client (option 77 "iPXE") that
 * asks on the second boot network is given the script URL on that network's address, one on the network
 * of `server.address` keeps `http.publicUrl`; behind a relay the network holding `giaddr` decides, else
 * the address the relay sent to. UEFI HTTP boot paths chosen by a profile become URLs the same way.
 */
import { describe, expect, it } from 'vitest';
import { createInventoryBooter } from '../../src/boot/inventory-booter.js';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import type { PublicUrls } from '../../src/boot/public-urls.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import type { ResponderContext } from '../../src/dhcp/context.js';
import { LeaseTable } from '../../src/dhcp/leases.js';
import { getText, Opt } from '../../src/dhcp/options.js';
import { MessageType } from '../../src/dhcp/packet.js';
import { respond } from '../../src/dhcp/responder.js';
import { buildSubnets } from '../../src/dhcp/subnets.js';
import { InventoryProvider } from '../../src/inventory/snapshot.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { arch, clientKinds, dhcpConfig, request } from './requests.js';

const A = '10.63.0.1';
const B = '10.64.0.1';
const urls: PublicUrls = { fallback: `http://${A}:8080`, networks: [{ serverAddress: B, subnet: '10.64.0.0/24', url: `http://${B}:8080` }] };
const SCRIPT = '/boot.ipxe?mac=${net0/mac}&uuid=${uuid}&arch=${buildarch}';

async function context() {
  const config = dhcpConfig({ mode: 'full', subnet: '10.63.0.0/24', ranges: [{ start: '10.63.0.100', end: '10.63.0.149' }] }, A);
  // The networks are placed after the checks: B's address is no interface of the machine running the test.
  const dhcp = {
    ...config.dhcp,
    networks: [{ serverAddress: B, subnet: '10.64.0.0/24', ranges: [{ start: '10.64.0.100', end: '10.64.0.149' }], dns: [], ntp: [] }],
    relaySubnets: [{ subnet: '10.65.0.0/24', ranges: [{ start: '10.65.0.100', end: '10.65.0.149' }], dns: [], ntp: [] }],
  };
  const subnets = buildSubnets(dhcp, A);
  const leases = new LeaseTable(createMemoryLeaseStore(), subnets, new Map(), [A, B], false);
  await leases.load(1_700_000_000_000);
  const provider = new InventoryProvider({
    profiles: [{ name: 'http-boot', kind: 'localboot', loader: { httpX64: { family: 'grub', file: 'grub/grubx64.efi' } } }, { name: 'plain', kind: 'localboot' }],
    hosts: [{ mac: '02:00:00:64:00:02', profile: 'http-boot' }, ...[1, 3, 4, 5].map((n) => ({ mac: `02:00:00:64:00:0${n}`, profile: 'plain' }))],
    groups: [],
  } as never);
  await provider.refresh();
  const booter = createInventoryBooter(provider, createConfigBooter(dhcp, { bootFile: dhcpBootFileChooser(dhcp.boot, urls) }), urls);
  /** A request answered from `serverAddress`; with `arrived`, it came in directly on that local network. */
  return (serverAddress: string, arrived?: 'directly'): ResponderContext => {
    const ctx: ResponderContext = { config: dhcp, serverAddress, subnets, booter, leases, now: 1_700_000_000_000 };
    if (arrived) ctx.arrivedOn = subnets.find((s) => s.local && s.serverAddress === serverAddress)!;
    return ctx;
  };
}

const ipxeDiscover = (mac: string, giaddr?: string) => request({ type: MessageType.Discover, mac, options: clientKinds['iPXE (77)'], ...(giaddr ? { giaddr } : {}) });
const bootFile = async (ctx: ResponderContext, packet = ipxeDiscover('02:00:00:64:00:01')) => {
  const outcome = await respond(packet, { address: '0.0.0.0', port: 68, via: 'dhcp' }, ctx);
  expect(outcome.reply, outcome.reason).not.toBeNull();
  return { file: outcome.reply!.packet.file, option67: getText(outcome.reply!.packet.options, Opt.BootFile) };
};

describe('DHCP names the URL of the client\'s network', () => {
  it('an iPXE client on the second network gets the script URL on that network\'s address', async () => {
    const on = await context();
    expect(await bootFile(on(B, 'directly'))).toEqual({ file: `http://${B}:8080${SCRIPT}`, option67: `http://${B}:8080${SCRIPT}` });
    expect((await bootFile(on(A, 'directly'))).option67).toBe(`http://${A}:8080${SCRIPT}`);
  });

  it('relayed: the network holding giaddr decides; a relay subnet gets the address the relay sent to', async () => {
    const ctx = await context();
    // A relay on the second network that unicasts to server.address.
    expect((await bootFile(ctx(A), ipxeDiscover('02:00:00:64:00:03', '10.64.0.9'))).option67).toBe(`http://${B}:8080${SCRIPT}`);
    expect((await bootFile(ctx(B), ipxeDiscover('02:00:00:64:00:04', '10.65.0.1'))).option67).toBe(`http://${B}:8080${SCRIPT}`);
    expect((await bootFile(ctx(A), ipxeDiscover('02:00:00:64:00:05', '10.65.0.1'))).option67).toBe(`http://${A}:8080${SCRIPT}`);
  });

  it('a UEFI HTTP boot path a profile chooses becomes a URL on the client\'s network', async () => {
    const ctx = await context();
    const httpBoot = request({ type: MessageType.Discover, mac: '02:00:00:64:00:02', options: { [Opt.VendorClass]: 'HTTPClient:Arch:00016:UNDI:003001', [Opt.ClientArch]: arch(16) } });
    expect((await bootFile(ctx(B, 'directly'), httpBoot)).file).toBe(`http://${B}:8080/grub/grubx64.efi`);
    expect((await bootFile(ctx(A, 'directly'), { ...httpBoot, xid: 2 })).file).toBe(`http://${A}:8080/grub/grubx64.efi`);
  });
});
