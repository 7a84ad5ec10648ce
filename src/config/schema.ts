/**
 * The whole config file's schema, composed from one schema per section. Each section's schema lives
 * beside the code that reads it (`src/tftp/config.ts`, `src/dhcp/config.ts`, …).
 */
import { Type, type Static } from '@sinclair/typebox';
import { InventoryConfigSchema } from '../inventory/config.js';
import { DhcpConfigSchema } from '../dhcp/config.js';
import { HttpConfigSchema } from '../http/config.js';
import { StoreConfigSchema } from '../store/config.js';
import { TftpConfigSchema } from '../tftp/config.js';
import { PowerConfigSchema } from '../power/config.js';
import { Ipv4, StrictObject } from './types.js';

/** The `server` section: the identity this xenboot instance announces to clients. */
export const ServerConfigSchema = StrictObject({
  address: Type.Union([Ipv4], {
    default: '127.0.0.1',
    description: 'address clients reach this server at: DHCP siaddr and option 54, TFTP listen address, HTTP URLs',
  }),
  user: Type.Optional(
    Type.String({ minLength: 1, maxLength: 32, description: 'started as root: the user to run as once the ports are bound (default: xenboot if it exists, else nobody)' }),
  ),
  group: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "started as root: the group to run as (default: the user's primary group)" })),
});

/** The `log` section. */
export const LogConfigSchema = StrictObject({
  level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
    default: 'auto',
    description: 'auto: readable on a terminal, JSON otherwise',
  }),
});

/** The complete config file. Every section is optional; an empty file runs on the embedded defaults. */
export const ConfigSchema = StrictObject({
  server: Type.Optional(ServerConfigSchema),
  log: Type.Optional(LogConfigSchema),
  tftp: Type.Optional(TftpConfigSchema),
  dhcp: Type.Optional(DhcpConfigSchema),
  http: Type.Optional(HttpConfigSchema),
  store: Type.Optional(StoreConfigSchema),
  inventory: Type.Optional(InventoryConfigSchema),
  power: Type.Optional(PowerConfigSchema),
});

/**
 * The config after defaults: every section present, every default filled in, paths absolute, ports
 * resolved. Frozen; nothing changes it after start.
 */
export interface Config {
  server: Static<typeof ServerConfigSchema>;
  log: Static<typeof LogConfigSchema>;
  tftp: Static<typeof TftpConfigSchema> & { addresses: string[]; port: number };
  dhcp: Static<typeof DhcpConfigSchema>;
  /**
   * `addresses`: where HTTP listens: `http.address` when given, else every server address (`server.address`
   * and each `dhcp.networks[].serverAddress`). `publicUrl`: the URL of the network of `server.address` and
   * of clients on no configured network. `networkUrls`: each `dhcp.networks` entry's URL (its `publicUrl`,
   * else `http://<serverAddress>:<port>` where HTTP listens on it, else `publicUrl`), with its subnet.
   */
  http: Static<typeof HttpConfigSchema> & {
    address: string;
    addresses: string[];
    publicUrl: string;
    networkUrls: Array<{ serverAddress: string; subnet: string; url: string }>;
  };
  store: Static<typeof StoreConfigSchema>;
  inventory: Static<typeof InventoryConfigSchema>;
  power: Static<typeof PowerConfigSchema>;
  /** Directory relative paths in the config are resolved against (the config file's directory, or the cwd). */
  baseDir: string;
  /** The config file read, or `null` for the embedded defaults. */
  source: string | null;
}
