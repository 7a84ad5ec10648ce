/**
 * The inventory as the boot path sees it: an immutable snapshot of profiles, hosts and groups with
 * indexes by MAC, SMBIOS UUID (both byte orders) and IP, and each host's profile already selected.
 *
 * Selection rule (documented in docs/profiles.md):
 * 1. a profile named on the host itself wins;
 * 2. otherwise the groups whose selector labels all equal the host's labels are ordered most specific
 *    first (more selector labels first), ties broken by group name in code-point order; the first of
 *    them that names a profile gives it;
 * 3. otherwise the host is known but has no profile (it gets nothing to boot).
 * Variables are merged from least to most specific: profile `vars`, matching groups from the least to
 * the most specific, then the host's `vars`.
 *
 * Building never throws: entries a check would refuse (a second host with the same MAC or IP, a bad MAC)
 * are skipped deterministically (first wins), so a bad store row cannot stop the boot service.
 */
import { parseMac, type Mac } from '../net/mac.js';
import { parseUuid, swapUuidFields } from '../net/uuid.js';
import type { Group, Host, InventoryDocuments, Labels, LoaderChoices, Profile, UnknownPolicy, Vars } from './model.js';

/** Where a host's profile came from. */
export type ProfileSource = { from: 'host' } | { from: 'group'; group: string } | { from: 'none' } | { from: 'next-boot'; reason: string };

/**
 * A next-boot override of one host (the boot lifecycle, `src/lifecycle/`): boot another profile, with
 * extra kernel arguments (the per-boot callback URL), or boot nothing from the network (`disabled`: a
 * physical machine gets the localboot profile, a domU nothing).
 */
export type NextBootOverride =
  | { kind: 'profile'; profile: string; extraArgs: readonly string[]; reason: string }
  | { kind: 'disabled'; reason: string };

/** `profile` with `extra` appended to the kernel command line it renders (the dom0's, for Xen). */
export function withExtraArgs(profile: Profile, extra: readonly string[]): Profile {
  if (extra.length === 0) return profile;
  switch (profile.kind) {
    case 'linux':
    case 'xen-domu':
      return { ...profile, args: [...profile.args, ...extra] };
    case 'xen-dom0':
      return { ...profile, dom0: { ...profile.dom0, args: [...profile.dom0.args, ...extra] } };
    case 'custom':
      // Custom templates place arguments themselves: they get `vars.xenbootExtraArgs`.
      return { ...profile, vars: { ...(profile.vars ?? {}), xenbootExtraArgs: extra.join(' ') } };
    case 'localboot':
      return profile;
  }
}

/** A host with identifiers canonicalised, its groups and profile selected and its variables merged. */
export interface ResolvedHost {
  mac: Mac;
  uuid?: string;
  hostname?: string;
  ip?: string;
  labels: Labels;
  /** Merged variables (profile < groups < host). */
  vars: Vars;
  /** Matching groups, most specific first. */
  groups: Group[];
  profile: Profile | null;
  profileSource: ProfileSource;
  /** The host as written in the config or store. */
  source: Host;
}

/** The built-in profile unknown machines get with `unknown.boot: localboot`. */
export const LOCALBOOT_PROFILE: Profile = Object.freeze({ name: 'localboot', kind: 'localboot' }) as Profile;

/** Orders groups most specific first: more selector labels first, then name (code-point order). */
export function compareGroups(a: Group, b: Group): number {
  const bySize = Object.keys(b.selector).length - Object.keys(a.selector).length;
  if (bySize !== 0) return bySize;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** True when every selector label equals the host's label of the same name. */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Merges config and store entries: same key (profile name, canonical MAC, group name) → the store's entry wins. */
export function mergeInventoryInputs(fromConfig: InventoryDocuments, fromStore: InventoryDocuments | null): InventoryDocuments {
  if (!fromStore) return fromConfig;
  const merge = <T>(base: readonly T[], over: readonly T[], key: (item: T) => string): T[] => {
    const overByKey = new Map(over.map((item) => [key(item), item] as const));
    const merged = base.map((item) => {
      const replacement = overByKey.get(key(item));
      if (replacement === undefined) return item;
      overByKey.delete(key(item));
      return replacement;
    });
    return [...merged, ...overByKey.values()];
  };
  const macKey = (h: Host) => parseMac(h.mac) ?? h.mac;
  const result: InventoryDocuments = {
    profiles: merge(fromConfig.profiles, fromStore.profiles, (p) => p.name),
    hosts: merge(fromConfig.hosts, fromStore.hosts, macKey),
    groups: merge(fromConfig.groups, fromStore.groups, (g) => g.name),
  };
  if (fromConfig.unknown) result.unknown = fromConfig.unknown;
  return result;
}

/**
 * One set of inventory documents resolved and indexed, next-boot overrides left out: built once per change
 * of the documents (an API write, SIGHUP, another instance's change) and shared by every snapshot over
 * them, so a next-boot override costs the hosts it changes, not the whole inventory.
 */
export class InventoryIndex {
  readonly profilesByName = new Map<string, Profile>();
  /** Hosts by canonical MAC, first wins; by UUID and IP they point at the same objects. */
  readonly byMac = new Map<Mac, ResolvedHost>();
  readonly byUuid = new Map<string, ResolvedHost>();
  readonly byIp = new Map<string, ResolvedHost>();
  readonly sortedGroups: Group[];
  /** What machines outside the inventory get. */
  readonly unknown: UnknownPolicy;
  private configPaths: ReadonlySet<string> | undefined;

  /** The profiles and groups this was built from, to tell whether a later build may reuse its hosts. */
  private readonly inputProfiles: readonly Profile[];
  private readonly inputGroups: readonly Group[];

  /**
   * @param previous an index over documents that differ from `input` in hosts only: when every profile and
   *   group is the same object, each host document it resolved (the same object again) is taken as it
   *   was, so a write of a few hosts costs the indexing, not resolving 100,000 hosts again. The result is
   *   what a fresh build gives (the same order, first wins).
   */
  constructor(input: InventoryDocuments, previous?: InventoryIndex) {
    this.inputProfiles = input.profiles;
    this.inputGroups = input.groups;
    for (const profile of input.profiles) if (!this.profilesByName.has(profile.name)) this.profilesByName.set(profile.name, profile);
    this.sortedGroups = [...input.groups].sort(compareGroups);
    this.unknown = input.unknown ?? { boot: 'nothing' };
    const reusable = previous !== undefined && sameItems(previous.inputProfiles, input.profiles) && sameItems(previous.inputGroups, input.groups) ? previous.byMac : undefined;
    for (const host of input.hosts) {
      const before = reusable === undefined ? undefined : (reusable.get(host.mac) ?? reusable.get(parseMac(host.mac) ?? ''));
      const resolved = before !== undefined && before.source === host ? before : this.resolve(host);
      if (resolved === null || this.byMac.has(resolved.mac)) continue;
      this.byMac.set(resolved.mac, resolved);
      if (resolved.uuid !== undefined && !this.byUuid.has(resolved.uuid) && !this.byUuid.has(swapUuidFields(resolved.uuid))) {
        this.byUuid.set(resolved.uuid, resolved);
      }
      if (resolved.ip !== undefined && !this.byIp.has(resolved.ip)) this.byIp.set(resolved.ip, resolved);
    }
  }

  /** Every `loader.<firmware>.config` path a profile or host names (vendor GRUB images), computed once. */
  loaderConfigPaths(): ReadonlySet<string> {
    if (this.configPaths === undefined) {
      const found = new Set<string>();
      const add = (choices: LoaderChoices | undefined) => {
        for (const choice of Object.values(choices ?? {})) if (choice?.config !== undefined) found.add(choice.config);
      };
      for (const profile of this.profilesByName.values()) add(profile.loader);
      for (const host of this.byMac.values()) add(host.source.loader);
      this.configPaths = found;
    }
    return this.configPaths;
  }

  private resolve(host: Host): ResolvedHost | null {
    const mac = parseMac(host.mac);
    if (mac === null) return null;
    const labels = host.labels ?? {};
    const groups = this.sortedGroups.filter((g) => selectorMatches(g.selector, labels));
    let profile: Profile | null = null;
    let profileSource: ProfileSource = { from: 'none' };
    if (host.profile !== undefined) {
      profile = this.profilesByName.get(host.profile) ?? null;
      if (profile) profileSource = { from: 'host' };
    }
    if (!profile) {
      const group = groups.find((g) => g.profile !== undefined && this.profilesByName.has(g.profile));
      if (group) {
        profile = this.profilesByName.get(group.profile!)!;
        profileSource = { from: 'group', group: group.name };
      }
    }
    const resolved: ResolvedHost = { mac, labels, vars: mergedVars(profile, groups, host), groups, profile, profileSource, source: host };
    const uuid = host.uuid === undefined ? null : parseUuid(host.uuid);
    if (uuid !== null) resolved.uuid = uuid;
    if (host.hostname !== undefined) resolved.hostname = host.hostname;
    if (host.ip !== undefined) resolved.ip = host.ip;
    return resolved;
  }

  /** `host` as a next-boot override changes it, or `host` itself when the override changes nothing. */
  overridden(host: ResolvedHost, override: NextBootOverride): ResolvedHost {
    let profile: Profile | null;
    if (override.kind === 'disabled') {
      profile = host.profile?.kind === 'xen-domu' ? null : LOCALBOOT_PROFILE;
    } else {
      const chosen = this.profilesByName.get(override.profile);
      // A next-boot profile that no longer exists leaves the host on its own profile.
      if (!chosen) return host;
      profile = withExtraArgs(chosen, override.extraArgs);
    }
    return { ...host, profile, profileSource: { from: 'next-boot', reason: override.reason }, vars: mergedVars(profile, host.groups, host.source) };
  }
}

/** True when both lists hold the same objects in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Variables from least to most specific: the profile's, the matching groups' (least specific first), the host's. */
function mergedVars(profile: Profile | null, groups: readonly Group[], host: Host): Vars {
  const vars: Vars = { ...(profile?.vars ?? {}) };
  for (let i = groups.length - 1; i >= 0; i--) Object.assign(vars, groups[i]!.vars ?? {});
  Object.assign(vars, host.vars ?? {});
  return vars;
}

/** True when two overrides change a boot the same way. */
function sameOverride(a: NextBootOverride, b: NextBootOverride): boolean {
  if (a.kind !== b.kind || a.reason !== b.reason) return false;
  if (a.kind === 'disabled' || b.kind === 'disabled') return true;
  return a.profile === b.profile && a.extraArgs.length === b.extraArgs.length && a.extraArgs.every((arg, i) => arg === b.extraArgs[i]);
}

/**
 * An immutable, indexed inventory snapshot: an `InventoryIndex` and the hosts its next-boot overrides
 * change. Lookups are map reads, cheap enough per packet; `withOverrides` costs the overrides, not the hosts.
 */
export class Inventory {
  private readonly index: InventoryIndex;
  /** Hosts a next-boot override changes, as the boot path sees them. */
  private readonly overriddenHosts = new Map<Mac, ResolvedHost>();
  /** What machines outside the inventory get. */
  readonly unknown: UnknownPolicy;

  constructor(
    input: InventoryDocuments | InventoryIndex,
    private readonly overrides: ReadonlyMap<Mac, NextBootOverride> = new Map(),
    /** The snapshot these overrides replace: hosts whose override did not change are taken from it. */
    previous?: Inventory,
  ) {
    this.index = input instanceof InventoryIndex ? input : new InventoryIndex(input);
    this.unknown = this.index.unknown;
    const reusable = previous !== undefined && previous.index === this.index ? previous : undefined;
    for (const [mac, override] of overrides) {
      const before = reusable?.overrides.get(mac);
      const kept = before !== undefined && sameOverride(before, override) ? reusable!.overriddenHosts.get(mac) : undefined;
      if (kept !== undefined) {
        this.overriddenHosts.set(mac, kept);
        continue;
      }
      const host = this.index.byMac.get(mac);
      if (host !== undefined) this.overriddenHosts.set(mac, this.index.overridden(host, override));
    }
  }

  /** The same documents with other next-boot overrides; costs the overrides, not the hosts. */
  withOverrides(overrides: ReadonlyMap<Mac, NextBootOverride>): Inventory {
    return new Inventory(this.index, overrides, this);
  }

  /** Every `loader.<firmware>.config` path a profile or host names (vendor GRUB images). */
  loaderConfigPaths(): ReadonlySet<string> {
    return this.index.loaderConfigPaths();
  }

  /** The resolved documents under this snapshot (shared by every snapshot of other overrides). */
  documentIndex(): InventoryIndex {
    return this.index;
  }

  /** A host as the boot path sees it: with its next-boot override, when it has one. */
  private current(host: ResolvedHost | undefined): ResolvedHost | undefined {
    if (host === undefined || this.overriddenHosts.size === 0) return host;
    return this.overriddenHosts.get(host.mac) ?? host;
  }

  /** The host with this MAC (any spelling), if any. */
  hostByMac(mac: string): ResolvedHost | undefined {
    const canonical = parseMac(mac);
    return canonical === null ? undefined : this.current(this.index.byMac.get(canonical));
  }

  /** The host with this SMBIOS UUID, given in either byte order of its first three fields. */
  hostByUuid(uuid: string): ResolvedHost | undefined {
    const canonical = parseUuid(uuid);
    if (canonical === null) return undefined;
    return this.current(this.index.byUuid.get(canonical) ?? this.index.byUuid.get(swapUuidFields(canonical)));
  }

  /** The host whose reserved address this is, if any. */
  hostByIp(ip: string): ResolvedHost | undefined {
    return this.current(this.index.byIp.get(ip));
  }

  /** A profile by name. */
  profile(name: string): Profile | undefined {
    return this.index.profilesByName.get(name);
  }

  /** Every profile. */
  profiles(): Profile[] {
    return [...this.index.profilesByName.values()];
  }

  /** Every host, in input order. */
  hosts(): ResolvedHost[] {
    return [...this.index.byMac.values()].map((host) => this.current(host)!);
  }

  /** Every group, most specific first. */
  groups(): Group[] {
    return [...this.index.sortedGroups];
  }

  /** True when there are no hosts and unknown machines get nothing (the config Booter is enough). */
  isEmpty(): boolean {
    return this.index.byMac.size === 0 && this.unknown.boot === 'nothing';
  }

  /** The profile an unknown machine gets, or `null` for `unknown.boot: nothing`. */
  unknownProfile(): Profile | null {
    switch (this.unknown.boot) {
      case 'localboot':
        return LOCALBOOT_PROFILE;
      case 'profile':
        return this.unknown.profile === undefined ? null : (this.index.profilesByName.get(this.unknown.profile) ?? null);
      default:
        return null;
    }
  }
}

/** The host a machine is: by MAC (DHCP `chaddr`), else by SMBIOS UUID in either byte order. */
export function hostForMachine(inventory: Inventory, machine: { mac: string; uuid?: string }): ResolvedHost | undefined {
  return inventory.hostByMac(machine.mac) ?? (machine.uuid !== undefined ? inventory.hostByUuid(machine.uuid) : undefined);
}

/**
 * One stored document changed by a write this process made: `removeKey` (a canonical MAC, or a profile or
 * group name) goes first, then `doc` is put under its own key. Docs are as the store loader gives them
 * (defaults applied, checked).
 */
export interface StoredDocumentChange {
  kind: 'hosts' | 'profiles' | 'groups';
  removeKey?: string;
  doc?: Host | Profile | Group;
}

/**
 * Holds the current inventory: the config-file part (replaced on SIGHUP) merged with the store part
 * (reloaded when another instance changed the store, patched in place after this process's own API
 * writes). `current()` is a field read; rebuilding happens only on changes.
 */
export class InventoryProvider {
  private fromConfig: InventoryDocuments;
  private fromStore: InventoryDocuments | null = null;
  private overrides: ReadonlyMap<Mac, NextBootOverride> = new Map();
  private snapshot: Inventory;
  /** Store loads started and the newest one applied: a slow, older load never replaces a newer one. */
  private loadsStarted = 0;
  private loadApplied = 0;
  /** The store's inventory revision the store part reflects (null: unknown, or no store). */
  private storedRevision: number | null = null;

  /**
   * @param loadFromStore reads every stored document;
   * @param readRevision reads the store's inventory revision (bumped once by every write); with it, a
   *   write of this process patches the store part instead of reading it all again.
   */
  constructor(
    fromConfig: InventoryDocuments,
    private readonly loadFromStore?: () => Promise<InventoryDocuments>,
    private readonly readRevision?: () => Promise<number>,
  ) {
    this.fromConfig = fromConfig;
    this.snapshot = new Inventory(fromConfig);
  }

  /** The inventory to use now. */
  current(): Inventory {
    return this.snapshot;
  }

  /** True when the store part already holds every write up to `revision` (nothing to reload). */
  reflects(revision: number): boolean {
    return this.storedRevision !== null && revision <= this.storedRevision;
  }

  /** Reloads the store part; the new inventory is in effect when the promise resolves. */
  async refresh(): Promise<void> {
    if (!this.loadFromStore) return;
    const load = ++this.loadsStarted;
    // Read before the documents: a write landing in between leaves the revision behind, and the next
    // look at it reloads (never the other way round).
    const revision = this.readRevision ? await this.readRevision() : null;
    const fromStore = await this.loadFromStore();
    if (load < this.loadApplied) return;
    this.loadApplied = load;
    this.fromStore = fromStore;
    this.storedRevision = revision;
    this.rebuild();
  }

  /**
   * Takes in a write this process committed as store revision `revision`. When it is the only write since
   * the store part was read, the documents are patched in memory (at 100,000 hosts a reload reads and
   * checks every row; this costs the index rebuild only); otherwise, or without revisions, it reloads.
   */
  async applyStoredChanges(changes: readonly StoredDocumentChange[], revision: number): Promise<void> {
    if (this.reflects(revision)) return;
    if (this.fromStore === null || this.storedRevision === null || revision !== this.storedRevision + 1) {
      await this.refresh();
      return;
    }
    const byKind = {
      hosts: new Map(this.fromStore.hosts.map((h) => [parseMac(h.mac) ?? h.mac, h] as [string, Host | Profile | Group])),
      profiles: new Map(this.fromStore.profiles.map((p) => [p.name, p] as [string, Host | Profile | Group])),
      groups: new Map(this.fromStore.groups.map((g) => [g.name, g] as [string, Host | Profile | Group])),
    };
    for (const change of changes) {
      const documents = byKind[change.kind];
      if (change.removeKey !== undefined) documents.delete(change.removeKey);
      if (change.doc !== undefined) documents.set(storedKey(change.kind, change.doc), change.doc);
    }
    const fromStore: InventoryDocuments = {
      hosts: [...byKind.hosts.values()] as Host[],
      profiles: [...byKind.profiles.values()] as Profile[],
      groups: [...byKind.groups.values()] as Group[],
    };
    // Newer than any load in flight: an older read finishing later must not undo this.
    this.loadApplied = ++this.loadsStarted;
    this.fromStore = fromStore;
    this.storedRevision = revision;
    this.rebuild();
  }

  /** Replaces the config-file part (SIGHUP reload); takes effect at once. */
  setConfig(input: InventoryDocuments): void {
    this.fromConfig = input;
    this.rebuild();
  }

  /**
   * Replaces the next-boot overrides (the boot lifecycle); takes effect at once. The documents stay
   * resolved as they are: this costs the overridden hosts, not the inventory.
   */
  setOverrides(overrides: ReadonlyMap<Mac, NextBootOverride>): void {
    this.overrides = overrides;
    this.snapshot = this.snapshot.withOverrides(overrides);
  }

  private rebuild(): void {
    const index = new InventoryIndex(mergeInventoryInputs(this.fromConfig, this.fromStore), this.snapshot.documentIndex());
    this.snapshot = new Inventory(index, this.overrides);
  }
}

/** A stored document's key: a host's canonical MAC, a profile's or group's name. */
function storedKey(kind: StoredDocumentChange['kind'], doc: Host | Profile | Group): string {
  if (kind === 'hosts') {
    const mac = (doc as Host).mac;
    return parseMac(mac) ?? mac;
  }
  return (doc as Profile | Group).name;
}
