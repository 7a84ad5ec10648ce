/**
 * The site the scale benchmark measures: an inventory of `n` hosts written to a store through its own
 * interface (profiles, rack groups, hosts with MAC, SMBIOS UUID, hostname and reserved address), bound
 * leases for them, and the DHCP requests their firmware sends, encoded as on the wire. Hosts are numbered;
 * everything about host `i` is derived from `i`, so both ends of a run describe the same kind of machine.
 *
 * Addresses: the DHCP server is 10.62.0.1 on 10.62.0.0/16 (the /16 pool of the lease measurement); hosts'
 * reserved addresses are in 172.16.0.0/12, a subnet behind a relay (giaddr 172.31.255.254), which holds
 * the 100,000 hosts a /16 could not. Nothing is sent on any network: the addresses are only numbers.
 */
import { Value } from '@sinclair/typebox/value';
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { encodePacket, MessageType, Op, type DhcpPacket } from '../../src/dhcp/packet.js';
import { ProfileSchema, type Profile } from '../../src/inventory/model.js';
import { intToIp, ipToInt } from '../../src/net/ipv4.js';
import { macToBytes } from '../../src/net/mac.js';
import type { InventoryChange, Lease, LeaseStore, Store } from '../../src/store/types.js';

/** The server's address and its /16. */
export const SERVER = '10.62.0.1';
export const POOL_SUBNET = '10.62.0.0/16';
/** The relay subnet holding the hosts' reserved addresses, and the relay's address in it. */
export const HOST_SUBNET = '172.16.0.0/12';
export const RELAY = '172.31.255.254';
const HOST_BASE = ipToInt('172.16.0.1');

/** One in `DOMU_EVERY` hosts is a domU (Xen MAC, `xen-domu` profile); the others are diskless dom0s. */
const DOMU_EVERY = 10;
const RACKS = 16;

/** The identity of host `i`. */
export interface SiteHost {
  i: number;
  mac: string;
  uuid: string;
  hostname: string;
  ip: string;
  domu: boolean;
}

const hex2 = (value: number) => (value & 255).toString(16).padStart(2, '0');

/** Host `i` (0-based). */
export function siteHost(i: number): SiteHost {
  const domu = i % DOMU_EVERY === DOMU_EVERY - 1;
  // A domU's MAC is in Xen's OUI with the fourth byte below 0x80, as libxl draws them.
  const mac = domu ? `00:16:3e:${hex2((i >> 16) & 0x7f)}:${hex2(i >> 8)}:${hex2(i)}` : `52:54:00:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;
  const tail = i.toString(16).padStart(12, '0');
  return { i, mac, uuid: `5ca1e000-0000-4000-8000-${tail}`, hostname: `h${i}.scale.test`, ip: intToIp(HOST_BASE + i), domu };
}

/** The profiles every site has: a diskless Xen dom0 (PXELINUX, iPXE, GRUB, xen.efi) and a domU (pypxeboot). */
export function siteProfiles(): Profile[] {
  const fill = (input: Record<string, unknown>) => {
    const value = Value.Default(ProfileSchema, structuredClone(input)) as Profile;
    if (!Value.Check(ProfileSchema, value)) throw new Error(`bad profile ${JSON.stringify(input)}`);
    return value;
  };
  return [
    fill({
      name: 'xen-diskless',
      kind: 'xen-dom0',
      xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', efi: 'xen/xen.efi', args: ['dom0_mem=2048M,max:2048M', 'dom0_max_vcpus=2', 'console=com1', 'com1=115200,8n1'] },
      dom0: { kernel: 'linux/vmlinuz', args: ['console=hvc0', 'earlyprintk=xen', 'rack={{vars.rack}}'], initrds: ['linux/initrd.img'] },
      serial: { port: 0, baud: 115200 },
    }),
    fill({
      name: 'domu-debian',
      kind: 'xen-domu',
      kernel: 'domu/vmlinuz-6.1',
      initrd: 'domu/initrd.img-6.1',
      args: ['root=/dev/xvda1', 'console=hvc0', 'hostname={{host.hostname}}'],
      memory: 1024,
      vcpus: 2,
      disks: [{ target: '/dev/vg0/{{name}}' }],
    }),
  ];
}

/** The inventory document of host `i`: dom0s get their profile from their rack's group, domUs name theirs. */
function hostDocument(host: SiteHost): Record<string, unknown> {
  const doc: Record<string, unknown> = { mac: host.mac, uuid: host.uuid, hostname: host.hostname, ip: host.ip };
  if (host.domu) doc.profile = 'domu-debian';
  else doc.labels = { rack: `r${host.i % RACKS}` };
  return doc;
}

/** Writes profiles, one group per rack and `n` hosts to the store, 5,000 documents per transaction. */
export async function writeInventory(store: Store, n: number): Promise<void> {
  const first: InventoryChange[] = siteProfiles().map((doc) => ({ op: 'create', kind: 'profiles', doc: doc as unknown as Record<string, unknown> }));
  for (let r = 0; r < RACKS; r++) first.push({ op: 'create', kind: 'groups', doc: { name: `rack-${r}`, selector: { rack: `r${r}` }, profile: 'xen-diskless', vars: { rack: `r${r}` } } });
  await store.inventory.apply(first);
  for (let start = 0; start < n; start += 5000) {
    const changes: InventoryChange[] = [];
    for (let i = start; i < Math.min(n, start + 5000); i++) changes.push({ op: 'create', kind: 'hosts', doc: hostDocument(siteHost(i)) });
    await store.inventory.apply(changes);
  }
}

/** Writes `leases` through `claimLease`, `inFlight` at a time (the store's own path, group commits included). */
export async function writeLeases(store: LeaseStore, leases: readonly Lease[], inFlight = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < leases.length) {
        const lease = leases[next++]!;
        if (!(await store.claimLease(lease, lease.updatedAt))) throw new Error(`could not write the lease of ${lease.mac} on ${lease.ip}`);
      }
    }),
  );
}

/** The config of the measured server: full DHCP on the /16 (the server's address excluded), the hosts' relay subnet. */
export function siteConfig(): Config {
  const result = buildConfig(
    {
      server: { address: SERVER },
      http: { publicUrl: `http://${SERVER}:8080` },
      dhcp: {
        mode: 'full',
        subnet: POOL_SUBNET,
        ranges: [{ start: '10.62.0.2', end: '10.62.255.254' }],
        relaySubnets: [{ subnet: HOST_SUBNET, ranges: [{ start: '172.31.255.1', end: '172.31.255.253' }] }],
      },
    },
    { baseDir: '/tmp', privileged: false },
  );
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.config;
}

/** What a client puts in its requests. */
export interface ClientIdentity {
  mac: string;
  uuid?: string;
  /** `pxe`: a BIOS PXE ROM (options 60, 93, 97); `udhcpc`: pypxeboot's udhcpc 0.9.8 in dom0. */
  kind: 'pxe' | 'udhcpc';
  giaddr?: string;
}

/** A DHCP request as its client encodes it: DISCOVER; REQUEST selecting (server id, requested address); REQUEST renewing (ciaddr). */
export function encodeClientRequest(client: ClientIdentity, xid: number, message: { type: 'discover' } | { type: 'select'; ip: string } | { type: 'renew'; ip: string }): Buffer {
  const chaddr = Buffer.alloc(16);
  macToBytes(client.mac).copy(chaddr);
  const options = new Map<number, Buffer>();
  if (client.kind === 'pxe') {
    options.set(Opt.MaxMessageSize, Buffer.from([0x05, 0xc0]));
    options.set(Opt.ClientArch, Buffer.from([0, 0]));
    options.set(Opt.VendorClass, Buffer.from('PXEClient:Arch:00000:UNDI:002001'));
    options.set(Opt.ParameterList, Buffer.from([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203]));
    if (client.uuid !== undefined) options.set(Opt.ClientUuid, Buffer.concat([Buffer.from([0]), Buffer.from(client.uuid.replace(/-/g, ''), 'hex')]));
  } else {
    options.set(Opt.VendorClass, Buffer.from('udhcp 0.9.8'));
    options.set(Opt.ParameterList, Buffer.from([1, 3, 6, 12, 15, 28]));
  }
  if (message.type === 'select') {
    options.set(Opt.RequestedIp, Buffer.from(ipBytes(message.ip)));
    options.set(Opt.ServerId, Buffer.from(ipBytes(SERVER)));
  }
  const packet: DhcpPacket = {
    op: Op.Request,
    htype: 1,
    hlen: 6,
    hops: client.giaddr ? 1 : 0,
    xid,
    secs: 0,
    flags: message.type === 'renew' ? 0 : 0x8000,
    ciaddr: message.type === 'renew' ? message.ip : '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: client.giaddr ?? '0.0.0.0',
    chaddr,
    sname: '',
    file: '',
    type: message.type === 'discover' ? MessageType.Discover : MessageType.Request,
    options,
  };
  return encodePacket(packet);
}
