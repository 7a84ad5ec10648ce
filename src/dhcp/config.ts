/**
 * Schema of the `dhcp` config section. Cross-field rules (ranges inside the subnet, …) are in
 * `config-checks.ts`, listed with the other sections' in `config/checks.ts`; docs/dhcp.md describes every key.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CidrText, Ipv4, MacText, Port, StrictObject } from '../config/types.js';
import { DhcpHaSchema } from './ha/config.js';
import { RogueDetectionSchema } from './rogue-config.js';

/** An inclusive address range inside a subnet. */
export const DhcpRangeSchema = StrictObject({ start: Ipv4, end: Ipv4 });

/** Settings a subnet hands to its clients; shared by the main subnet and relay subnets. */
const subnetFields = {
  subnet: Type.Optional(CidrText),
  ranges: Type.Array(DhcpRangeSchema, { default: [], description: 'dynamic pool; several ranges allowed' }),
  router: Type.Optional(Ipv4),
  dns: Type.Array(Ipv4, { default: [] }),
  domain: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  ntp: Type.Array(Ipv4, { default: [] }),
};

/** A subnet behind a DHCP relay, selected by the relay's `giaddr`. */
export const DhcpRelaySubnetSchema = StrictObject({ ...subnetFields, subnet: CidrText });

/**
 * A boot network the server sits on besides the one of `server.address`: requests that arrive on its
 * interface (no `giaddr`) get an address from its subnet, and its `serverAddress` as `siaddr` and option 54.
 */
export const DhcpNetworkSchema = StrictObject({
  ...subnetFields,
  subnet: CidrText,
  serverAddress: Type.Union([Ipv4], { description: "this server's address on the network: siaddr, option 54, a TFTP and HTTP listen address" }),
  interface: Type.Optional(
    Type.String({ minLength: 1, maxLength: 15, pattern: '^[A-Za-z0-9_.:@-]+$', description: 'the interface the network is on (a VLAN is an interface: eth0.30); default: the one holding serverAddress' }),
  ),
  publicUrl: Type.Optional(
    Type.String({ pattern: '^https?://', description: "base URL this network's clients are told (iPXE script, UEFI HTTP boot, server.httpUrl); default: http://<serverAddress>:<http.port>" }),
  ),
});

/** A fixed address for one MAC. */
export const DhcpReservationSchema = StrictObject({
  mac: MacText,
  ip: Ipv4,
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*$' })),
});

/** An extra option sent to every client: code, how to encode the value, the value. */
export const DhcpExtraOptionSchema = StrictObject({
  code: Type.Integer({ minimum: 1, maximum: 254 }),
  type: Type.Union(['text', 'ip', 'ips', 'u8', 'u16', 'u32', 'hex', 'bool'].map((t) => Type.Literal(t)), {
    description: 'wire encoding of value',
  }),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())]),
  always: Type.Boolean({ default: false, description: 'send even when the client did not ask for it in option 55' }),
});

/** Boot file per firmware, and the iPXE script URL. */
export const DhcpBootSchema = Type.Object({
  bios: Type.String({ default: 'pxelinux.0', description: 'option 93 = 0 (BIOS PXE)' }),
  efiX64: Type.String({ default: 'grubnetx64.efi', description: 'option 93 = 7 or 9 (EFI x86-64)' }),
  efiIa32: Type.String({ default: 'grubnetia32.efi', description: 'option 93 = 6 (EFI IA32)' }),
  efiArm64: Type.String({ default: 'grubnetaa64.efi', description: 'option 93 = 11 (EFI ARM64)' }),
  efiArm32: Type.String({ default: 'grubnetarm.efi', description: 'option 93 = 10 (EFI ARM32)' }),
  httpX64: Type.Optional(Type.String({ pattern: '^https?://', description: 'option 93 = 16 (UEFI HTTP boot): a full URL' })),
  fallback: Type.String({ default: 'pxelinux.0', description: 'clients without option 93 (pypxeboot, udhcpc) and unknown architectures' }),
  ipxeScript: Type.Optional(
    Type.String({ description: 'URL given to iPXE clients (option 77 "iPXE" or option 175); default <public URL of the client\'s network>/boot.ipxe?…' }),
  ),
  nextServer: Type.Optional(Type.Union([Ipv4], { description: 'siaddr (TFTP server); default server.address' })),
}, { additionalProperties: false, default: {} });

/** The `dhcp` section. `off` leaves DHCP to another server; `full` and `proxy` are described in DESIGN.md. */
export const DhcpConfigSchema = StrictObject(
  {
    mode: Type.Union([Type.Literal('off'), Type.Literal('full'), Type.Literal('proxy')], { default: 'off' }),
    port: Type.Union([Port, Type.Literal(0)], { default: 67, description: 'server port (67); 0 picks a free one (tests)' }),
    clientPort: Type.Union([Port], { default: 68, description: 'port replies are sent to (68)' }),
    proxyPort: Type.Union([Port, Type.Literal(0)], { default: 4011, description: 'proxy mode: PXE boot-server port; 0 disables it' }),
    engine: Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('dgram')], {
      default: 'auto',
      description: 'the port-67 socket: native (the xenboot_udp addon: IP_PKTINFO, needed for several networks), dgram (node:dgram, one network), auto (native where built)',
    }),
    shedDiscoverAfterMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 1000,
      description: 'overload: a DISCOVER that waited longer than this is dropped unread (REQUESTs, exchanges already begun, are answered first, then DISCOVERs newest first); 0: only a full queue drops (native engine only)',
    }),
    allowUnknown: Type.Boolean({ default: true, description: 'answer MACs that have no reservation and are not in the inventory' }),
    ...subnetFields,
    leaseTime: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 3600, description: 'seconds' }),
    offerHold: Type.Integer({ minimum: 1, maximum: 600, default: 30, description: 'seconds an offered address stays held' }),
    declineHold: Type.Integer({ minimum: 1, maximum: 604_800, default: 3600, description: 'seconds a declined address is quarantined' }),
    reservations: Type.Array(DhcpReservationSchema, { default: [] }),
    options: Type.Array(DhcpExtraOptionSchema, { default: [] }),
    boot: DhcpBootSchema,
    pxelinux: Type.Object(
      {
        configFile: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'option 209' })),
        pathPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'option 210' })),
        rebootTime: Type.Optional(Type.Integer({ minimum: 1, description: 'option 211, seconds' })),
      },
      { additionalProperties: false, default: {} },
    ),
    networks: Type.Array(DhcpNetworkSchema, {
      default: [],
      description: 'further boot networks this server sits on, each with its own server address; chosen by the interface a request arrives on',
    }),
    relaySubnets: Type.Array(DhcpRelaySubnetSchema, { default: [], description: 'subnets behind relays, chosen by giaddr' }),
    rateLimit: Type.Object(
      {
        perSecond: Type.Number({ minimum: 0.1, default: 10, description: 'messages per second one MAC may send' }),
        burst: Type.Integer({ minimum: 1, default: 20 }),
      },
      { additionalProperties: false, default: {} },
    ),
    ha: Type.Optional(DhcpHaSchema),
    rogueDetection: RogueDetectionSchema,
  },
  { description: 'DHCP server' },
);

/** The validated `dhcp` section. */
export type DhcpConfig = Static<typeof DhcpConfigSchema>;
/** One `dhcp.relaySubnets[]` entry. */
export type DhcpRelaySubnetConfig = Static<typeof DhcpRelaySubnetSchema>;
/** One `dhcp.networks[]` entry. */
export type DhcpNetworkConfig = Static<typeof DhcpNetworkSchema>;
/** One `dhcp.options[]` entry. */
export type DhcpExtraOption = Static<typeof DhcpExtraOptionSchema>;
/** The `dhcp.boot` block with defaults filled. */
export type DhcpBootConfig = Static<typeof DhcpBootSchema>;
