/**
 * The config's cross-field checks: the rules a schema cannot express, one function per section, each
 * defined beside its section's schema and listed here. They all run, in this order, after schema
 * validation, so a config with several mistakes reports all of them. Adding a rule: write it in its
 * section's file and add one line below.
 */
import { networkInterfaces } from 'node:os';
import { defaultIpxeScriptUrl } from '../boot/loaders/ipxe.js';
import { bootFileProblems, checkDhcpConfig, type HostInterfaces } from '../dhcp/config-checks.js';
import { checkRogueDetection } from '../dhcp/rogue-config.js';
import { haConfigProblems } from '../dhcp/ha/config.js';
import { LOADER_BOOT_FILES, type LoaderChoices } from '../inventory/model.js';
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
    checkRogueDetection(config.dhcp.rogueDetection, {
      mode: config.dhcp.mode,
      serverAddress: config.server.address,
      networkAddresses: config.dhcp.networks.map((n) => n.serverAddress),
      machineMacs: [
        ...config.dhcp.reservations.map((r, i) => ({ mac: r.mac, path: `dhcp.reservations[${i}]` })),
        ...config.inventory.hosts.map((h, i) => ({ mac: h.mac, path: `inventory.hosts[${i}]` })),
      ],
    }),
  (config) => haConfigProblems(config.dhcp.ha, config.dhcp.mode, config.store.kind, config.server.address),
  handedBootFileProblems,
  (config) => storeConfigProblems(config.store),
  (config) => tftpConfigProblems(config.tftp),
];

/**
 * Boot files DHCP hands that are built outside the `dhcp` section: the default iPXE script URL (from each
 * network's public URL: `http.publicUrl` and every `dhcp.networks[].publicUrl` or its default) and the
 * inventory's own loader choices (a UEFI HTTP boot path becomes a URL on the public URL of the client's
 * network, as `boot/loader-choice.ts` builds it). Each must fit option 67 (`bootFileProblems`) on every
 * network; a loader file is reported once, for the first URL it does not fit.
 */
function handedBootFileProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const urls = [
    { path: 'http.publicUrl', url: config.http.publicUrl },
    ...config.http.networkUrls.map((n, i) => ({ path: `dhcp.networks[${i}].publicUrl`, url: n.url })),
  ];
  if (config.dhcp.boot.ipxeScript === undefined) {
    for (const { path, url } of urls) {
      for (const problem of bootFileProblems(path, defaultIpxeScriptUrl(url))) {
        problems.push({ path: problem.path, message: `the default iPXE script URL built from it: ${problem.message}` });
      }
    }
  }
  const loaderFiles = (path: string, loader: LoaderChoices | undefined) => {
    for (const [key, choice] of Object.entries(loader ?? {})) {
      if (choice === undefined) continue;
      const named = choice.file ?? LOADER_BOOT_FILES[choice.family][key as keyof LoaderChoices];
      if (named === undefined) continue;
      const isPath = key === 'httpX64' && !/^https?:\/\//.test(named);
      const files = isPath ? [...new Set(urls.map((u) => `${u.url.replace(/\/+$/, '')}/${named}`))] : [named];
      const first = files.map((file) => bootFileProblems(`${path}.loader.${key}.file`, file)).find((found) => found.length > 0);
      if (first !== undefined) problems.push(...first);
    }
  };
  config.inventory.hosts.forEach((host, i) => loaderFiles(`inventory.hosts[${i}]`, host.loader));
  config.inventory.profiles.forEach((profile, i) => loaderFiles(`inventory.profiles[${i}]`, profile.loader));
  return problems;
}

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
