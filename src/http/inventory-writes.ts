/**
 * Inventory changes through the API: the inventory's write rules (`inventory/writes.ts`) answered in HTTP
 * terms: schema and per-kind checks 400, a missing profile 422, a clash or a profile still in use 409. The
 * store checks and writes the whole change in one transaction, and the inventory is reloaded so DHCP and
 * TFTP use it at once.
 */
import type { InventoryDocuments } from '../inventory/model.js';
import type { StoredDocumentChange } from '../inventory/snapshot.js';
import { documentProblems, writeProblem, type LocatedChange } from '../inventory/writes.js';
import { parseMac } from '../net/mac.js';
import type { InventoryChange, InventoryDocument, InventoryKind, Store, StoredInventory } from '../store/types.js';
import { ApiError, joinPath, toApiError, validationError } from './errors.js';
import { validateDocument } from './validate.js';

/** What inventory writes need from the running service. */
export interface InventoryContext {
  store: Store;
  /** The inventory from the config file as loaded now (it changes on SIGHUP). */
  configInventory(): InventoryDocuments;
  /**
   * Takes the committed changes (store revision `revision`) into the live inventory; resolves when DHCP
   * and TFTP see them.
   */
  applied(changes: readonly StoredDocumentChange[], revision: number): Promise<void>;
}

/** Validates one document for `kind` and runs the per-document checks; throws a 400 `ApiError`. */
export function prepareDocument(kind: InventoryKind, body: unknown, prefix = ''): InventoryDocument {
  const result = validateDocument(kind, body, prefix);
  if (!result.ok) throw validationError(result.problems);
  const doc = result.value;
  if (kind === 'hosts') doc.mac = parseMac(doc.mac as string)!;
  const problems = documentProblems(kind, doc);
  if (problems.length > 0) throw validationError(problems.map((p) => ({ ...p, path: joinPath(prefix, p.path) || '(body)' })));
  return doc;
}

/**
 * Checks references and clashes against the config file and the stored documents as they will be after
 * the changes; throws an `ApiError` (422 missing reference, 409 clash or profile in use). Pure.
 */
export function checkConsistency(fromConfig: InventoryDocuments, stored: StoredInventory, located: LocatedChange[]): void {
  const refusal = writeProblem(fromConfig, stored, located);
  if (refusal) throw new ApiError(refusal.reason, refusal.message, refusal.path);
}

/**
 * Checks and writes `changes` in one transaction, then hands them to the live inventory. `pathOf(i)` names
 * change `i` in error paths (`hosts[3]`, or `''` for a single-document request). The check runs inside
 * the store's transaction, under the inventory write lock that every instance sharing the database
 * takes: two requests racing (one deleting a profile, one creating a host that names it), to this
 * instance or to two, are decided one after the other on what the first one wrote.
 */
export async function writeInventory(ctx: InventoryContext, changes: InventoryChange[], pathOf: (index: number) => string): Promise<void> {
  const located = changes.map((change, i) => ({ change, path: pathOf(i) }));
  const fromConfig = ctx.configInventory();
  let revision: number;
  try {
    revision = await ctx.store.inventory.apply(changes, (stored) => checkConsistency(fromConfig, stored, located));
  } catch (error) {
    throw toApiError(error, pathOf);
  }
  await ctx.applied(changes.map(storedDocumentChange), revision);
}

/** A committed store change as the live inventory takes it: the key it removes, the document it puts. */
export function storedDocumentChange(change: InventoryChange): StoredDocumentChange {
  const keyOf = (key: string) => (change.kind === 'hosts' ? (parseMac(key) ?? key) : key);
  // The store wrote the JSON of these documents; the inventory gets its own copy of them.
  const doc = change.op === 'delete' ? undefined : (structuredClone(change.doc) as unknown as NonNullable<StoredDocumentChange['doc']>);
  const result: StoredDocumentChange = { kind: change.kind };
  if (change.op === 'replace' || change.op === 'delete') result.removeKey = keyOf(change.key);
  if (doc !== undefined) result.doc = doc;
  return result;
}
