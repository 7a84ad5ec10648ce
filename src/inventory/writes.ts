/**
 * The rules every change to the stored inventory passes, whoever makes it (the HTTP API, `xenboot
 * domu-config`): each document, once it fits its kind's schema (`model.ts`), passes its kind's own
 * checks (the ones the config loader runs too); every profile it names exists in the config file or the
 * store; a host's address is not reserved for another machine in the config file; no profile still in
 * use is deleted. Pure: callers run `writeProblem` inside the store's write transaction, on the
 * documents as the previous write left them, and turn a refusal into their own answer (an HTTP status,
 * a command's message).
 */
import { parseMac } from '../net/mac.js';
import { at, groupProblems, hostProblems, profileProblems, type InventoryProblem } from './checks.js';
import type { Group, Host, InventoryDocuments, Profile } from './model.js';

/** The stored collections, by the name of their kind. */
export type DocumentKind = 'hosts' | 'profiles' | 'groups';

/** One document as the store holds it (validated when written; hosts carry a canonical `mac`). */
export type StoredDocument = Record<string, unknown>;

/** One planned change, as the store's transaction takes it. */
export type PlannedChange =
  | { op: 'create' | 'put'; kind: DocumentKind; doc: StoredDocument }
  | { op: 'replace'; kind: DocumentKind; key: string; doc: StoredDocument }
  | { op: 'delete'; kind: DocumentKind; key: string };

/** A change and where its request named it (`hosts[3]`, `params.mac`, or `''`), for the refusal's path. */
export interface LocatedChange {
  change: PlannedChange;
  path: string;
}

/** Why a write is refused: a name with no profile behind it, or a clash with what exists. */
export interface WriteRefusal {
  reason: 'missing-reference' | 'conflict';
  message: string;
  /** Where in the request (`hosts[3].profile`); `''` for the request as a whole. */
  path: string;
}

/**
 * The kind's own checks on one schema-valid document (the config loader runs the same ones over the
 * whole section): a domU profile's arguments pypxeboot can parse, a custom profile naming a template, a
 * group that changes something, a host with a usable MAC. Paths are relative to `prefix`; `''` is the
 * document itself.
 */
export function documentProblems(kind: DocumentKind, doc: StoredDocument, prefix = ''): InventoryProblem[] {
  const problems =
    kind === 'profiles'
      ? profileProblems([doc as unknown as Profile])
      : kind === 'groups'
        ? groupProblems([doc as unknown as Group], new Set([(doc as unknown as Group).profile ?? '']))
        : hostProblems([doc as unknown as Host], new Set([(doc as unknown as Host).profile ?? '']));
  // The checks speak of `profiles[0]`: re-anchor their paths on this document.
  return problems.map((p) => ({ ...p, path: at(prefix, p.path.replace(/^(profiles|groups|hosts)\[0\]\.?/, '')) }));
}

/** The key a document is stored under: canonical MAC for hosts, the name otherwise. */
export function documentKey(kind: DocumentKind, doc: StoredDocument): string {
  return kind === 'hosts' ? (parseMac(String(doc.mac)) ?? String(doc.mac)) : String(doc.name);
}

/**
 * The first reason to refuse `located`, judged against the config file's inventory and the stored
 * documents as they will be after the changes, or `null` to let it through. Pure.
 */
export function writeProblem(
  fromConfig: InventoryDocuments,
  stored: Readonly<Record<DocumentKind, readonly StoredDocument[]>>,
  located: readonly LocatedChange[],
): WriteRefusal | null {
  const storeProfiles = new Set(stored.profiles.map((p) => String(p.name)));
  for (const { change } of located) {
    if (change.kind !== 'profiles') continue;
    if (change.op === 'delete' || change.op === 'replace') storeProfiles.delete(change.key);
    if (change.op !== 'delete') storeProfiles.add(documentKey('profiles', change.doc));
  }
  const profileNames = new Set([...fromConfig.profiles.map((p) => p.name), ...storeProfiles]);

  for (const { change, path } of located) {
    if (change.op === 'delete') continue;
    const doc = change.doc;
    if ((change.kind === 'hosts' || change.kind === 'groups') && typeof doc.profile === 'string' && !profileNames.has(doc.profile)) {
      return { reason: 'missing-reference', message: `no profile named "${doc.profile}"`, path: at(path, 'profile') };
    }
    if (change.kind === 'hosts' && typeof doc.ip === 'string') {
      const mac = documentKey('hosts', doc);
      const clash = fromConfig.hosts.find((h) => h.ip === doc.ip && parseMac(h.mac) !== mac);
      if (clash) return { reason: 'conflict', message: `address ${doc.ip} is reserved for ${clash.mac} in the config file`, path: at(path, 'ip') };
    }
  }

  const deletedProfiles = located.filter(({ change }) => change.kind === 'profiles' && change.op === 'delete');
  if (deletedProfiles.length === 0) return null;
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
    if (user) return { reason: 'conflict', message: `profile "${name}" is used by ${user.what}`, path: path || 'name' };
  }
  return null;
}
