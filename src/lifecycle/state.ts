/**
 * The boot lifecycle of one host as a pure state machine: what its next network boot is, and what moves
 * it on. docs/lifecycle.md holds the same rules as a table; `transition` is the only place they live in
 * code. Nothing here reads a clock, a store or the network: the caller hands in `now` and the input, and
 * gets the next record (or `null`: nothing changes) plus what to write into the audit trail.
 *
 * States:
 * - `idle`: no action; the host boots its own profile.
 * - `pending`: `once` or `reinstall` armed; the next boot gets the action's profile.
 * - `booting`: the action's profile is being fetched (some file fetched to the end, or one interrupted);
 *   a retry after a power loss still gets the action's profile, and starts its evidence afresh.
 * - `booted`: `reinstall` only: kernel and initrds fetched to the end; the installer runs and keeps
 *   getting its profile until it calls back.
 * - `disabled`: `netboot: disabled`; the host boots locally (or gets nothing, for a domU).
 *
 * A `once` action is consumed by evidence (every file of its profile fetched to the end in one attempt)
 * or by its callback; `reinstall` only by its callback. The callback of a boot is accepted once.
 */

/** Where a host is in its lifecycle. */
export type LifecycleState = 'idle' | 'pending' | 'booting' | 'booted' | 'disabled';

/** Every state, in the order the documentation lists them. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = ['idle', 'pending', 'booting', 'booted', 'disabled'];

/** What an operator can ask for the next boot. */
export type NextBootAction =
  /** The profile for exactly one boot, then back to the host's own profile. */
  | { kind: 'once'; profile: string }
  /** An installer profile that stays until the installer calls back `done` (or `failed`). */
  | { kind: 'reinstall'; profile: string }
  /** No network boot: boot locally (or nothing) until cleared. */
  | { kind: 'disabled' };

/** How the last action ended. */
export interface LifecycleResult {
  outcome: 'consumed' | 'done' | 'failed' | 'cleared' | 'replaced';
  /** The callback's message, or what consumed the action. */
  message?: string;
  /** The boot it concerns. */
  bootId?: string;
  at: number;
}

/** The stored lifecycle of one host. */
export interface LifecycleRecord {
  /** Canonical MAC. */
  mac: string;
  state: LifecycleState;
  /** The armed action (`pending`, `booting`, `booted`, `disabled`); absent when `idle`. */
  action?: NextBootAction;
  /** The boot the armed action (or the last consumed `once`) is: callbacks are bound to it. */
  bootId?: string;
  /** True while the callback of `bootId` may still be accepted (once per boot). */
  callbackOpen: boolean;
  /** Files of the action's profile fetched to the end in the current attempt (evidence so far). */
  fetched: string[];
  /** Retries of the armed action seen (a DHCP DISCOVER after some of its files were fetched). */
  attempts: number;
  /** How the last action ended. */
  result?: LifecycleResult;
  /** Bumped by every write; a conditional update compares it (several instances, one database). */
  version: number;
  updatedAt: number;
  /** Who made the last change (`api`, `cli:root`, `evidence`, `callback`). */
  updatedBy: string;
}

/** A fresh record for a host that never had an action. */
export function idleRecord(mac: string, now: number): LifecycleRecord {
  return { mac, state: 'idle', callbackOpen: false, fetched: [], attempts: 0, version: 0, updatedAt: now, updatedBy: 'nobody' };
}

/**
 * What evidence a profile's boot leaves: groups of file paths (relative to the boot root); every group
 * must see one of its files fetched to the end. Empty: the profile fetches nothing xenboot can vouch for
 * (custom templates), so only its callback consumes it.
 */
export type EvidenceGroups = readonly (readonly string[])[];

/** What moves a lifecycle on. */
export type LifecycleInput =
  /** An operator arms an action (replacing any other). */
  | { kind: 'arm'; action: NextBootAction; bootId: string; by: string }
  /** An operator clears the action. */
  | { kind: 'clear'; by: string }
  /** The machine started a boot attempt (DHCP DISCOVER): after evidence, an interrupted boot is retried. */
  | { kind: 'attempt' }
  /** A file was fetched to the end (`complete`) or broke off (`partial`), over TFTP or HTTP. */
  | { kind: 'fetch'; file: string; complete: boolean; evidence: EvidenceGroups }
  /** The booted system called back (signature already verified against `bootId`). */
  | { kind: 'callback'; bootId: string; status: 'done' | 'failed'; message?: string };

/** Why a callback was refused. */
export type CallbackRefusal = 'unsigned' | 'bad-signature' | 'foreign' | 'stale' | 'replay' | 'no-action';

/** The audit line of one change: what happened, from which state to which. */
export interface LifecycleChange {
  change: 'armed' | 'cleared' | 'attempt' | 'booting' | 'consumed' | 'booted' | 'callback';
  from: LifecycleState;
  to: LifecycleState;
  by: string;
  action?: NextBootAction;
  bootId?: string;
  message?: string;
}

/** The outcome of one input. */
export type Transition =
  | { next: LifecycleRecord; change: LifecycleChange }
  /** Nothing changes (the input does not concern this state), with the reason for logs. */
  | { next: null; ignored: string }
  /** A callback that is not accepted. */
  | { next: null; refused: CallbackRefusal; reason: string };

/** Normalises a fetched path for comparison with profile paths: no leading slashes, no query. */
export function normaliseFetchedPath(path: string): string {
  return path.replace(/[?#].*$/, '').replace(/^\/+/, '');
}

/** True when every evidence group has a member in `fetched`. */
export function evidenceComplete(evidence: EvidenceGroups, fetched: readonly string[]): boolean {
  if (evidence.length === 0) return false;
  return evidence.every((group) => group.some((file) => fetched.includes(file)));
}

/** True when `file` belongs to one of the evidence groups. */
function isEvidence(evidence: EvidenceGroups, file: string): boolean {
  return evidence.some((group) => group.includes(file));
}

/** True when the state boots the action's profile (an armed `once` or `reinstall`). */
export function bootsAction(record: Pick<LifecycleRecord, 'state'>): boolean {
  return record.state === 'pending' || record.state === 'booting' || record.state === 'booted';
}

/** Applies one input to a record at `now`. Pure. */
export function transition(record: LifecycleRecord, input: LifecycleInput, now: number): Transition {
  const from = record.state;
  const write = (next: Omit<LifecycleRecord, 'mac' | 'version' | 'updatedAt'>, change: Omit<LifecycleChange, 'from' | 'to'>): Transition => {
    const full: LifecycleRecord = { ...next, mac: record.mac, version: record.version + 1, updatedAt: now };
    return { next: full, change: { ...change, from, to: full.state } };
  };
  switch (input.kind) {
    case 'arm': {
      const state: LifecycleState = input.action.kind === 'disabled' ? 'disabled' : 'pending';
      const base = {
        state,
        action: input.action,
        callbackOpen: input.action.kind !== 'disabled',
        fetched: [],
        attempts: 0,
        updatedBy: input.by,
        ...(input.action.kind === 'disabled' ? {} : { bootId: input.bootId }),
      };
      const replaced = record.state !== 'idle' && record.action ? { result: { outcome: 'replaced' as const, at: now, ...(record.bootId ? { bootId: record.bootId } : {}) } } : record.result ? { result: record.result } : {};
      return write({ ...base, ...replaced }, { change: 'armed', by: input.by, action: input.action, ...(base.bootId ? { bootId: base.bootId } : {}) });
    }
    case 'clear': {
      if (record.state === 'idle' && !record.callbackOpen) return { next: null, ignored: 'nothing to clear' };
      return write(
        { state: 'idle', callbackOpen: false, fetched: [], attempts: 0, updatedBy: input.by, ...(record.bootId ? { bootId: record.bootId } : {}), result: { outcome: 'cleared', at: now, ...(record.bootId ? { bootId: record.bootId } : {}) } },
        { change: 'cleared', by: input.by },
      );
    }
    case 'attempt': {
      // Only an attempt that follows evidence is a retry (the first DISCOVER of a boot, or iPXE's own after
      // the ROM's, finds the record still pending and changes nothing).
      if (record.state !== 'booting') return { next: null, ignored: `a boot attempt changes nothing in state ${record.state}` };
      return write(
        { ...record, state: 'pending', fetched: [], attempts: record.attempts + 1, updatedBy: 'evidence' },
        { change: 'attempt', by: 'evidence', ...(record.bootId ? { bootId: record.bootId } : {}), message: `attempt ${record.attempts + 1}` },
      );
    }
    case 'fetch': {
      if (record.state !== 'pending' && record.state !== 'booting') return { next: null, ignored: `a fetch changes nothing in state ${record.state}` };
      const file = normaliseFetchedPath(input.file);
      if (!isEvidence(input.evidence, file)) return { next: null, ignored: `${file} is not a kernel or initrd of the action's profile` };
      const bootId = record.bootId ? { bootId: record.bootId } : {};
      if (!input.complete) {
        if (record.state === 'booting') return { next: null, ignored: `${file} broke off; still booting` };
        return write({ ...record, state: 'booting', updatedBy: 'evidence' }, { change: 'booting', by: 'evidence', ...bootId, message: `${file} broke off` });
      }
      const fetched = record.fetched.includes(file) ? record.fetched : [...record.fetched, file];
      if (!evidenceComplete(input.evidence, fetched)) {
        if (fetched === record.fetched && record.state === 'booting') return { next: null, ignored: `${file} already counted` };
        return write({ ...record, state: 'booting', fetched, updatedBy: 'evidence' }, { change: 'booting', by: 'evidence', ...bootId, message: `${file} fetched to the end` });
      }
      if (record.action?.kind === 'reinstall') {
        return write({ ...record, state: 'booted', fetched, updatedBy: 'evidence' }, { change: 'booted', by: 'evidence', ...bootId, message: 'kernel and initrds fetched to the end; waiting for the installer to call back' });
      }
      // A `once` boot is consumed: the host is back on its own profile. Its callback stays open.
      return write(
        { state: 'idle', callbackOpen: record.callbackOpen, fetched: [], attempts: record.attempts, updatedBy: 'evidence', ...bootId, result: { outcome: 'consumed', message: 'kernel and initrds fetched to the end', at: now, ...bootId } },
        { change: 'consumed', by: 'evidence', ...bootId, ...(record.action ? { action: record.action } : {}), message: 'kernel and initrds fetched to the end' },
      );
    }
    case 'callback': {
      if (record.bootId === undefined) return { next: null, refused: 'no-action', reason: 'no boot of this host expects a callback' };
      if (input.bootId !== record.bootId) return { next: null, refused: 'stale', reason: `boot ${input.bootId} is not the host's current boot` };
      if (!record.callbackOpen) return { next: null, refused: 'replay', reason: `boot ${input.bootId} has already called back` };
      const message = input.message === undefined ? {} : { message: input.message };
      return write(
        { state: 'idle', callbackOpen: false, fetched: [], attempts: record.attempts, updatedBy: 'callback', bootId: record.bootId, result: { outcome: input.status, at: now, bootId: record.bootId, ...message } },
        { change: 'callback', by: 'callback', bootId: record.bootId, ...(record.action ? { action: record.action } : {}), message: `${input.status}${input.message ? `: ${input.message}` : ''}` },
      );
    }
  }
}
