/**
 * The rules every inventory change through the API passes before it is written: schema (400), per-kind
 * checks shared with the config loader (400), references to profiles that exist in the config file or the
 * store (422), no clash with a config-file host's address (409), no deletion of a profile still in use
 * (409). The store checks and writes the whole change in one transaction, and the inventory is reloaded
 * so DHCP and TFTP use it at once.
 */
import { groupProblems, profileProblems, type InventoryDocuments } from '../boot/checks.js';
import type { Group, Host, Profile } from '../boot/model.js';
import type { ConfigProblem } from '../config/types.js';
import { parseMac } from '../net/mac.js';
import type { InventoryChange, InventoryDocument, InventoryKind, Store, StoredInventory } from '../store/types.js';
import { ApiError, joinPath, toApiError, validationError } from './errors.js';
import { validateDocument } from './validate.js';

/** What inventory writes need from the running service. */
export interface InventoryContext {
  store: Store;
  /** The inventory from the config file as loaded now (it changes on SIGHUP). */
  configInventory(): InventoryDocuments;
  /** Rebuilds the live inventory from config and store; resolves when DHCP and TFTP see the change. */
  refresh(): Promise<void>;
}

/** Validates one document for `kind` and runs the per-document checks; throws a 400 `ApiError`. */
export function prepareDocument(kind: InventoryKind, body: unknown, prefix = ''): InventoryDocument {
  const result = validateDocument(kind, body, prefix);
  if (!result.ok) throw validationError(result.problems);
  const doc = result.value;
  let problems: ConfigProblem[] = [];
  if (kind === 'profiles') problems = profileProblems([doc as unknown as Profile]);
  if (kind === 'groups') problems = groupProblems([doc as unknown as Group], new Set([(doc as Group).profile ?? '']));
  if (kind === 'hosts') doc.mac = parseMac(doc.mac as string)!;
  if (problems.length > 0) {
    // The shared checks speak of `profiles[0]`/`groups[0]`: re-anchor their paths on this document.
    throw validationError(problems.map((p) => ({ ...p, path: joinPath(prefix, p.path.replace(/^(profiles|groups)\[0\]\.?/, '')) || '(body)' })));
  }
  return doc;
}

/** A change and where a request named it (for error paths). */
export type Located = { change: InventoryChange; path: string };

/** The key a change's document would be stored under. */
function keyOf(kind: InventoryKind, doc: InventoryDocument): string {
  return kind === 'hosts' ? (parseMac(String(doc.mac)) ?? String(doc.mac)) : String(doc.name);
}

/**
 * Checks references and clashes against the config file and the stored documents as they will be after
 * the changes; throws an `ApiError` (422 missing reference, 409 clash or profile in use). Pure.
 */
export function checkConsistency(fromConfig: InventoryDocuments, stored: StoredInventory, located: Located[]): void {
  const storeProfiles = new Set(stored.profiles.map((p) => String(p.name)));
  for (const { change } of located) {
    if (change.kind !== 'profiles') continue;
    if (change.op === 'delete' || change.op === 'replace') storeProfiles.delete(change.key);
    if (change.op !== 'delete') storeProfiles.add(keyOf('profiles', change.doc));
  }
  const profileNames = new Set([...fromConfig.profiles.map((p) => p.name), ...storeProfiles]);

  for (const { change, path } of located) {
    if (change.op === 'delete') continue;
    const doc = change.doc;
    if ((change.kind === 'hosts' || change.kind === 'groups') && typeof doc.profile === 'string' && !profileNames.has(doc.profile)) {
      throw new ApiError('missing-reference', `no profile named "${doc.profile}"`, joinPath(path, 'profile'));
    }
    if (change.kind === 'hosts' && typeof doc.ip === 'string') {
      const mac = keyOf('hosts', doc);
      const clash = fromConfig.hosts.find((h: Host) => h.ip === doc.ip && parseMac(h.mac) !== mac);
      if (clash) throw new ApiError('conflict', `address ${doc.ip} is reserved for ${clash.mac} in the config file`, joinPath(path, 'ip'));
    }
  }

  const deletedProfiles = located.filter(({ change }) => change.kind === 'profiles' && change.op === 'delete');
  if (deletedProfiles.length === 0) return;
  const users = [
    ...fromConfig.hosts.map((h) => ({ what: `host ${h.mac} (config file)`, profile: h.profile })),
    ...fromConfig.groups.map((g) => ({ what: `group ${g.name} (config file)`, profile: g.profile })),
    ...stored.hosts.map((h) => ({ what: `host ${String(h.mac)}`, profile: h.profile })),
    ...stored.groups.map((g) => ({ what: `group ${String(g.name)}`, profile: g.profile })),
  ];
  for (const { change, path } of deletedProfiles) {
    const name = (change as { key: string }).key;
    if (profileNames.has(name)) continue; // still defined (the config file has one of that name)
    const user = users.find((u) => u.profile === name);
    if (user) throw new ApiError('conflict', `profile "${name}" is used by ${user.what}`, path || 'name');
  }
}

/**
 * Checks and writes `changes` in one transaction, then refreshes the live inventory. `pathOf(i)` names
 * change `i` in error paths (`hosts[3]`, or `''` for a single-document request). The check runs inside
 * the store's transaction, under the inventory write lock that every instance sharing the database
 * takes: two requests racing (one deleting a profile, one creating a host that names it), to this
 * instance or to two, are decided one after the other on what the first one wrote.
 */
export async function writeInventory(ctx: InventoryContext, changes: InventoryChange[], pathOf: (index: number) => string): Promise<void> {
  const located = changes.map((change, i) => ({ change, path: pathOf(i) }));
  const fromConfig = ctx.configInventory();
  try {
    await ctx.store.inventory.apply(changes, (stored) => checkConsistency(fromConfig, stored, located));
  } catch (error) {
    throw toApiError(error, pathOf);
  }
  await ctx.refresh();
}
