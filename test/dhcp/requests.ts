/**
 * Builders for DHCP requests in responder tests, and a responder context over the in-memory lease store.
 */
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import type { ResponderContext } from '../../src/dhcp/context.js';
import { LeaseTable } from '../../src/dhcp/leases.js';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { Op, type DhcpPacket } from '../../src/dhcp/packet.js';
import { buildSubnets } from '../../src/dhcp/subnets.js';
import { macToBytes, parseMac } from '../../src/net/mac.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import type { LeaseStore } from '../../src/store/types.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

/** What a test request carries. */
export interface RequestSpec {
  type: number;
  mac: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  flags?: number;
  /** Raw options (code → bytes or text). */
  options?: Record<number, Buffer | string>;
}

/** A BOOTREQUEST as a client would send it. */
export function request(spec: RequestSpec): DhcpPacket {
  const chaddr = Buffer.alloc(16);
  macToBytes(spec.mac).copy(chaddr);
  const options = new Map<number, Buffer>();
  for (const [code, value] of Object.entries(spec.options ?? {})) options.set(Number(code), typeof value === 'string' ? Buffer.from(value, 'latin1') : value);
  return {
    op: Op.Request,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: spec.xid ?? 0x1234,
    secs: 0,
    flags: spec.flags ?? 0,
    ciaddr: spec.ciaddr ?? '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: spec.giaddr ?? '0.0.0.0',
    chaddr,
    sname: '',
    file: '',
    type: spec.type,
    options,
  };
}

/** Option 93 with one architecture. */
export function arch(code: number): Buffer {
  return Buffer.from([code >> 8, code & 255]);
}

/** The option sets of the client kinds in the responder tables (as measured, boot-protocols.md §1.3, §2.1). */
export const clientKinds = {
  'BIOS PXE ROM': { [Opt.VendorClass]: 'PXEClient:Arch:00000:UNDI:002001', [Opt.ClientArch]: arch(0), [Opt.ParameterList]: Buffer.from([1, 3, 6, 43, 60, 66, 67]) },
  'EFI PXE (93 = 7)': { [Opt.VendorClass]: 'PXEClient:Arch:00007:UNDI:003000', [Opt.ClientArch]: arch(7), [Opt.ParameterList]: Buffer.from([1, 3, 6, 43, 60, 66, 67, 97]) },
  'EFI PXE (93 = 9)': { [Opt.VendorClass]: 'PXEClient:Arch:00009:UNDI:003000', [Opt.ClientArch]: arch(9), [Opt.ParameterList]: Buffer.from([1, 3, 6, 43, 60, 66, 67]) },
  'iPXE (77)': { [Opt.VendorClass]: 'PXEClient:Arch:00000:UNDI:002001', [Opt.ClientArch]: arch(0), [Opt.UserClass]: 'iPXE', [Opt.ParameterList]: Buffer.from([1, 3, 6, 67, 175]) },
  'iPXE EFI (175 only)': { [Opt.VendorClass]: 'PXEClient:Arch:00007:UNDI:003010', [Opt.ClientArch]: arch(7), [Opt.IpxeEncap]: Buffer.from([0xb1, 1, 1]), [Opt.ParameterList]: Buffer.from([1, 3, 6, 67]) },
  'pypxeboot udhcpc 0.9.8': { [Opt.VendorClass]: 'udhcp 0.9.8', [Opt.ParameterList]: Buffer.from([1, 3, 6, 12, 15, 28]) },
  'plain udhcpc/dhclient': { [Opt.ParameterList]: Buffer.from([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]) },
} satisfies Record<string, Record<number, Buffer | string>>;

/** A config with the given `dhcp` section (and server 10.202.5.1), defaults filled. Throws on config problems. */
export function dhcpConfig(dhcp: Record<string, unknown>, server = '10.202.5.1'): Config {
  const result = buildConfig({ server: { address: server }, dhcp }, { baseDir: '/tmp', privileged: false });
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

/** The lab config the tables use: full mode, /24 with a 10-address range, one reservation. */
export const labDhcp = {
  mode: 'full',
  subnet: '10.202.5.0/24',
  ranges: [{ start: '10.202.5.100', end: '10.202.5.109' }],
  router: '10.202.5.1',
  dns: ['10.202.5.53'],
  domain: 'lab.test',
  reservations: [{ mac: '02:00:00:00:aa:01', ip: '10.202.5.10', hostname: 'known-1' }],
  pxelinux: { configFile: 'pxelinux.cfg/custom', pathPrefix: '/srv/tftp/' },
  relaySubnets: [{ subnet: '10.202.6.0/24', ranges: [{ start: '10.202.6.100', end: '10.202.6.199' }], router: '10.202.6.1' }],
};

/** A responder context over a fresh (or given) memory lease store; `clock.now` can be moved by the test. */
export async function responderContext(config: Config, store: LeaseStore = createMemoryLeaseStore(), start = 1_700_000_000_000, persistOffers = true, reservedElsewhere?: (ip: string) => string | undefined) {
  const subnets = buildSubnets(config.dhcp);
  const reservations = new Map(config.dhcp.reservations.map((r) => [parseMac(r.mac)!, r.ip]));
  const leases = new LeaseTable(store, subnets, reservations, [config.server.address], persistOffers, reservedElsewhere);
  await leases.load(start);
  const clock = { now: start };
  const booter = createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, singlePublicUrl('http://10.202.5.1:8080')) });
  const context = (): ResponderContext => ({ config: config.dhcp, serverAddress: config.server.address, subnets, booter, leases, now: clock.now });
  return { context, clock, leases, store };
}

/** The server id option of the lab server. */
export const labServerId = ipBytes('10.202.5.1');
