/**
 * Cross-field rules of the inventory that a schema cannot express. Each function returns every problem
 * it finds (path + message, like config errors) and never throws, so the config loader (in its list of
 * checks) and the API (before writing) report the same problems in the same words.
 */
import { parseMac } from '../net/mac.js';
import { parseUuid, swapUuidFields } from '../net/uuid.js';
import { LOADER_BOOT_FILES, servesBootloader, type Group, type Host, type InventoryDocuments, type LoaderChoices, type Profile, type UnknownPolicy } from './model.js';
import { argListProblems } from './pypxeboot-args.js';

/** One problem in an inventory: where it is (`hosts[2].mac`) and what is wrong with it. */
export interface InventoryProblem {
  path: string;
  message: string;
}

/** A problem's path: `key` under `prefix` (`inventory` + `hosts[2]` → `inventory.hosts[2]`); either may be empty. */
export function at(prefix: string, key: string): string {
  if (prefix === '') return key;
  return key === '' ? prefix : `${prefix}.${key}`;
}

/**
 * Problems with loader choices (`loader.<firmware>`): a family that cannot be handed to that firmware
 * without a named file, a URL where the firmware fetches by TFTP, a path where UEFI HTTP boot needs a
 * URL's worth of server (a path is made a URL on the public HTTP address, so only `http(s)://` or a path),
 * and a vendor config path on a family other than GRUB.
 */
export function loaderChoiceProblems(choices: LoaderChoices | undefined, path: string): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  for (const [key, choice] of Object.entries(choices ?? {}) as Array<[keyof LoaderChoices, LoaderChoices[keyof LoaderChoices]]>) {
    if (choice === undefined) continue;
    const where = `${path}.loader.${key}`;
    if (choice.file === undefined && LOADER_BOOT_FILES[choice.family][key] === undefined) {
      problems.push({ path: `${where}.family`, message: `${choice.family} has no usual boot file for ${key}: name one in file` });
    }
    if (choice.file !== undefined && /^https?:\/\//.test(choice.file) && key !== 'httpX64') {
      problems.push({ path: `${where}.file`, message: `${key} firmware fetches its boot file over TFTP: give a path in the TFTP root, not a URL` });
    }
    if (choice.config !== undefined && choice.family !== 'grub') {
      problems.push({ path: `${where}.config`, message: `config is the fixed path a vendor GRUB image reads: only with family grub` });
    }
  }
  return problems;
}

/** Problems with profile names and per-profile rules (duplicate names, unsafe domU args, custom without templates). */
export function profileProblems(profiles: readonly Profile[], prefix = ''): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const seen = new Map<string, number>();
  profiles.forEach((profile, i) => {
    const path = at(prefix, `profiles[${i}]`);
    const first = seen.get(profile.name);
    if (first !== undefined) problems.push({ path: `${path}.name`, message: `duplicate profile name "${profile.name}" (also profiles[${first}])` });
    else seen.set(profile.name, i);
    if (profile.kind === 'xen-domu') {
      problems.push(...domuBootloaderProblems(profile.bootloaders, path));
      // pypxeboot parses these tokens itself (spec §1.5): refuse what would crash or mislead it, where it is served.
      if (servesBootloader(profile, 'pypxeboot')) {
        for (const problem of argListProblems(profile.args, { initrd: profile.initrd !== undefined })) {
          problems.push({ path: problem.index === null ? `${path}.args` : `${path}.args[${problem.index}]`, message: problem.message });
        }
      }
    }
    problems.push(...loaderChoiceProblems(profile.loader, path));
    if (profile.kind === 'custom' && Object.keys(profile.templates).length === 0) {
      problems.push({ path: `${path}.templates`, message: 'names no template: give at least one of pxelinux, ipxe, grub, xenCfg' });
    }
  });
  return problems;
}

/** Problems with a `xen-domu` profile's `bootloaders`: an empty list, a bootloader named twice. */
export function domuBootloaderProblems(bootloaders: readonly string[] | undefined, path: string): InventoryProblem[] {
  if (bootloaders === undefined) return [];
  if (bootloaders.length === 0) return [{ path: `${path}.bootloaders`, message: 'is empty: no bootloader would be served the profile (list pypxeboot, pvboot or both, or leave it out for both)' }];
  const twice = bootloaders.filter((name, i) => bootloaders.indexOf(name) !== i);
  return twice.map((name) => ({ path: `${path}.bootloaders`, message: `lists ${name} twice` }));
}

/** Problems with hosts: duplicate MAC, UUID (either byte order) or IP, and references to missing profiles. */
export function hostProblems(hosts: readonly Host[], profileNames: ReadonlySet<string>, prefix = ''): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const macs = new Map<string, number>();
  const uuids = new Map<string, number>();
  const ips = new Map<string, number>();
  hosts.forEach((host, i) => {
    const path = at(prefix, `hosts[${i}]`);
    const mac = parseMac(host.mac);
    if (mac === null) problems.push({ path: `${path}.mac`, message: `${host.mac} is not a MAC address` });
    else if (macs.has(mac)) problems.push({ path: `${path}.mac`, message: `duplicate MAC ${mac} (also hosts[${macs.get(mac)}])` });
    else macs.set(mac, i);
    if (host.uuid !== undefined) {
      const uuid = parseUuid(host.uuid);
      if (uuid === null) problems.push({ path: `${path}.uuid`, message: `${host.uuid} is not a UUID` });
      else {
        const other = uuids.get(uuid) ?? uuids.get(swapUuidFields(uuid));
        if (other !== undefined) problems.push({ path: `${path}.uuid`, message: `duplicate UUID ${uuid} (also hosts[${other}], possibly in the other byte order)` });
        else uuids.set(uuid, i);
      }
    }
    if (host.ip !== undefined) {
      if (ips.has(host.ip)) problems.push({ path: `${path}.ip`, message: `duplicate IP ${host.ip} (also hosts[${ips.get(host.ip)}])` });
      else ips.set(host.ip, i);
    }
    if (host.profile !== undefined && !profileNames.has(host.profile)) {
      problems.push({ path: `${path}.profile`, message: `no profile named "${host.profile}"` });
    }
    problems.push(...loaderChoiceProblems(host.loader, path));
  });
  return problems;
}

/** Problems with groups: duplicate names, identical selectors (an ambiguous match) and missing profiles. */
export function groupProblems(groups: readonly Group[], profileNames: ReadonlySet<string>, prefix = ''): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const names = new Map<string, number>();
  const selectors = new Map<string, number>();
  groups.forEach((group, i) => {
    const path = at(prefix, `groups[${i}]`);
    if (names.has(group.name)) problems.push({ path: `${path}.name`, message: `duplicate group name "${group.name}" (also groups[${names.get(group.name)}])` });
    else names.set(group.name, i);
    const key = selectorKey(group.selector);
    const same = selectors.get(key);
    if (same !== undefined) {
      problems.push({ path: `${path}.selector`, message: `same selector as groups[${same}] ("${groups[same]!.name}"): which one applies would depend on names` });
    } else selectors.set(key, i);
    if (group.profile !== undefined && !profileNames.has(group.profile)) {
      problems.push({ path: `${path}.profile`, message: `no profile named "${group.profile}"` });
    }
    if (group.profile === undefined && group.vars === undefined) {
      problems.push({ path: path, message: 'has neither profile nor vars: it would change nothing' });
    }
  });
  return problems;
}

/** Problems with the unknown-machine policy. */
export function unknownPolicyProblems(policy: UnknownPolicy | undefined, profileNames: ReadonlySet<string>, prefix = ''): InventoryProblem[] {
  if (!policy) return [];
  const path = at(prefix, 'unknown');
  if (policy.boot === 'profile') {
    if (policy.profile === undefined) return [{ path: `${path}.profile`, message: 'is required when unknown.boot is "profile"' }];
    if (!profileNames.has(policy.profile)) return [{ path: `${path}.profile`, message: `no profile named "${policy.profile}"` }];
  } else if (policy.profile !== undefined) {
    return [{ path: `${path}.profile`, message: `is only used when unknown.boot is "profile" (it is "${policy.boot}")` }];
  }
  return [];
}

/** Every cross-field problem of an inventory (config section, store contents, or both merged). */
export function inventoryProblems(docs: InventoryDocuments, prefix = ''): InventoryProblem[] {
  const profileNames = new Set(docs.profiles.map((p) => p.name));
  return [
    ...profileProblems(docs.profiles, prefix),
    ...hostProblems(docs.hosts, profileNames, prefix),
    ...groupProblems(docs.groups, profileNames, prefix),
    ...unknownPolicyProblems(docs.unknown, profileNames, prefix),
  ];
}

/** A canonical text form of a selector (sorted `k=v` pairs), used for ties and duplicate detection. */
export function selectorKey(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
}
