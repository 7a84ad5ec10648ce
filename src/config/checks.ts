/**
 * The config's cross-field checks: the rules a schema cannot express, one function per section, each
 * defined beside its section's schema and listed here. They all run, in this order, after schema
 * validation, so a config with several mistakes reports all of them. Adding a rule: write it in its
 * section's file and add one line below.
 */
import { networkInterfaces } from 'node:os';
import { checkDhcpConfig, type HostInterfaces } from '../dhcp/config-checks.js';
import { checkRogueDetection } from '../dhcp/rogue-config.js';
import { inventoryConfigProblems } from '../inventory/config.js';
import { storeConfigProblems } from '../store/config.js';
import { tftpConfigProblems } from '../tftp/config.js';
import type { Config } from './schema.js';
import type { ConfigProblem } from './types.js';

/** A cross-field check over the defaulted config. It must not throw; it returns problems. */
export type ConfigCheck = (config: Config) => ConfigProblem[];

/** Every cross-field check, each handed its own section. */
export const configChecks: readonly ConfigCheck[] = [
  (config) => inventoryConfigProblems(config.inventory),
  (config) => checkDhcpConfig(config.dhcp, config.server.address, config.dhcp.networks.length > 0 ? hostInterfaces() : undefined),
  (config) =>
    checkRogueDetection(config.dhcp.rogueDetection, { mode: config.dhcp.mode, serverAddress: config.server.address, reservedMacs: config.dhcp.reservations.map((r) => r.mac) }),
  (config) => storeConfigProblems(config.store),
  (config) => tftpConfigProblems(config.tftp),
];

/** This host's interfaces with their IPv4 addresses, read when a config names networks. */
function hostInterfaces(): HostInterfaces {
  const host = new Map<string, string[]>();
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    host.set(name, (addresses ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
  }
  return host;
}

/** Runs every check; a check that throws is reported as a problem rather than crashing. */
export function runConfigChecks(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const check of configChecks) {
    try {
      problems.push(...check(config));
    } catch (error) {
      problems.push({ path: '(root)', message: `internal check failed: ${(error as Error).message}` });
    }
  }
  return problems;
}
