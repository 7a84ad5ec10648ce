/**
 * The boot lifecycle of a running instance: keeps every host's record (from the store, read again when
 * another instance changes one), hands the boot path its next-boot overrides, and moves records on from
 * operator requests, timeline evidence and callbacks, through `transition` (state.ts) and a conditional
 * store write. A lost race (another instance wrote the same version first) is read again and the input
 * applied to what won, at most `MAX_RACES` times, so an action is consumed once however many instances
 * see evidence of it.
 *
 * Inputs of one MAC are applied one after another (a promise chain per MAC); different MACs run freely.
 */
import type { Logger } from '../log.js';
import type { Profile } from '../inventory/model.js';
import type { NextBootOverride } from '../inventory/snapshot.js';
import { parseMac, type Mac } from '../net/mac.js';
import type { LifecycleRow, LifecycleStore } from '../store/types.js';
import type { BootEvent, LifecycleEvent } from '../timeline/types.js';
import { CALLBACK_ARG, callbackUrl, newBootId, newCallbackKey, verifyCallback } from './callback-token.js';
import { profileEvidence } from './evidence.js';
import { bootsAction, idleRecord, transition, type CallbackRefusal, type LifecycleChange, type LifecycleInput, type LifecycleRecord, type NextBootAction } from './state.js';

/** How often a lost conditional write is retried before giving up. */
const MAX_RACES = 8;

/** The name of the callback key among the store's shared secrets. */
const CALLBACK_KEY = 'lifecycle-callback-key';

/** A request the lifecycle refuses (unknown host, unknown profile, wrong profile kind). */
export class LifecycleRequestError extends Error {
  constructor(
    readonly code: 'not-found' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'LifecycleRequestError';
  }
}

/** What the service needs from the rest of the process. */
export interface LifecycleServiceOptions {
  store: LifecycleStore;
  /** The inventory's profile of that name, if any. */
  profile(name: string): Profile | undefined;
  /** True when the MAC is a host of the inventory (only hosts get actions). */
  isHost(mac: Mac): boolean;
  /** Receives the overrides after every change (the inventory provider's `setOverrides`). */
  applyOverrides(overrides: ReadonlyMap<Mac, NextBootOverride>): void;
  /** The HTTP base URL callbacks are sent to (`http.publicUrl`). */
  publicUrl: string;
  logger: Logger;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  now?: () => number;
  /** Read the store again this often for other instances' changes (0: never; one instance alone). */
  pollMs?: number;
  /** New boot ids (tests pass a counter). */
  newBootId?: () => string;
  /** Receives every audit event once it is stored (the live timeline). */
  onAudit?: (event: LifecycleEvent) => void;
}

/** The answer to a callback. */
export type CallbackAnswer = { accepted: true; record: LifecycleRecord } | { accepted: false; refused: CallbackRefusal; reason: string };

/** The action as the audit trail and the API spell it. */
export function describeAction(action: NextBootAction | undefined): string | undefined {
  if (action === undefined) return undefined;
  return action.kind === 'disabled' ? 'netboot: disabled' : `${action.kind}: ${action.profile}`;
}

/** The boot lifecycle service. */
export class LifecycleService {
  private readonly records = new Map<Mac, LifecycleRecord>();
  private readonly chains = new Map<Mac, Promise<unknown>>();
  private key = '';
  private revision = -1;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly bootId: () => string;

  constructor(private readonly options: LifecycleServiceOptions) {
    this.now = options.now ?? Date.now;
    this.bootId = options.newBootId ?? newBootId;
  }

  /** Loads the key and every record, applies the overrides, and starts polling when asked to. */
  async start(): Promise<void> {
    this.key = await this.options.store.sharedSecret(CALLBACK_KEY, newCallbackKey);
    await this.reload();
    const pollMs = this.options.pollMs ?? 0;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => {
        this.reloadIfChanged().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not read the boot lifecycle from the store'));
      }, pollMs);
      this.pollTimer.unref();
    }
  }

  /** Stops polling. */
  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Reads every record again when the store's lifecycle revision moved. */
  async reloadIfChanged(): Promise<void> {
    const revision = await this.options.store.revision();
    if (revision !== this.revision) await this.reload();
  }

  private async reload(): Promise<void> {
    const revision = await this.options.store.revision();
    const rows = await this.options.store.list();
    this.records.clear();
    for (const row of rows) this.records.set(row.mac, recordFromRow(row));
    this.revision = revision;
    this.publish();
  }

  /** The record of a MAC as this instance knows it (an idle one for a host never armed). */
  record(mac: Mac): LifecycleRecord {
    return this.records.get(mac) ?? idleRecord(mac, 0);
  }

  /** Every record that is not a never-armed idle host. */
  list(): LifecycleRecord[] {
    return [...this.records.values()];
  }

  /** The record of a MAC read from the store now (what another instance may have changed). */
  async fresh(mac: Mac): Promise<LifecycleRecord> {
    const row = await this.options.store.get(mac);
    const record = row ? recordFromRow(row) : idleRecord(mac, 0);
    if (row) this.remember(record);
    return record;
  }

  /** The callback URL of the MAC's current boot, if it has one open. */
  callbackUrlOf(record: LifecycleRecord): string | undefined {
    if (record.bootId === undefined || !record.callbackOpen) return undefined;
    return callbackUrl(this.options.publicUrl, this.key, record.mac, record.bootId);
  }

  /** Arms an action for a host. Throws `LifecycleRequestError` for an unknown host or an unusable profile. */
  async arm(mac: Mac, action: NextBootAction, by: string): Promise<LifecycleRecord> {
    if (!this.options.isHost(mac)) throw new LifecycleRequestError('not-found', `${mac} is not a host of the inventory`);
    if (action.kind !== 'disabled') {
      const profile = this.options.profile(action.profile);
      if (!profile) throw new LifecycleRequestError('invalid', `profile "${action.profile}" does not exist`);
      if (profile.kind === 'localboot') throw new LifecycleRequestError('invalid', `profile "${action.profile}" is localboot: use "netboot: disabled" to keep a host off the network boot`);
    }
    const bootId = this.bootId();
    const outcome = await this.apply(mac, { kind: 'arm', action, bootId, by });
    return outcome.record;
  }

  /** Clears a host's action (back to its own profile). */
  async clear(mac: Mac, by: string): Promise<LifecycleRecord> {
    if (!this.options.isHost(mac) && !this.records.has(mac)) throw new LifecycleRequestError('not-found', `${mac} is not a host of the inventory`);
    return (await this.apply(mac, { kind: 'clear', by })).record;
  }

  /**
   * Takes a recorded boot event as evidence: a DHCP DISCOVER starts an attempt, a TFTP transfer or an HTTP
   * GET of one of the action's files counts when it reached the end. Only MACs whose record boots an
   * action are looked at, so the cost per event is a map read.
   */
  observe(event: BootEvent): void {
    if (event.mac === undefined || event.kind === 'lifecycle') return;
    const cached = this.records.get(event.mac);
    if (!cached || (cached.state !== 'pending' && cached.state !== 'booting')) return;
    const input = this.inputOf(event, cached);
    if (input === null) return;
    this.apply(event.mac, input).catch((error: unknown) => this.options.logger.warn({ err: error, mac: event.mac }, 'could not record boot evidence'));
  }

  private inputOf(event: BootEvent, record: LifecycleRecord): LifecycleInput | null {
    if (event.kind === 'dhcp') return event.messageType === 'DISCOVER' ? { kind: 'attempt' } : null;
    const action = record.action;
    if (action === undefined || action.kind === 'disabled') return null;
    const profile = this.options.profile(action.profile);
    if (!profile) return null;
    const evidence = profileEvidence(profile);
    if (event.kind === 'tftp') {
      if (event.outcome === 'not-found' || event.outcome === 'denied' || event.outcome === 'busy') return null;
      // A UEFI client's size probe (`aborted` after the OACK, no byte sent) is not an interrupted boot.
      if (event.outcome === 'aborted' && event.bytes === 0) return null;
      return { kind: 'fetch', file: event.file, complete: event.outcome === 'complete', evidence };
    }
    if (event.kind === 'http') {
      if (event.method !== 'GET' || event.status === 404 || event.status >= 400) return null;
      return { kind: 'fetch', file: event.path, complete: event.status === 200 && event.bytes > 0, evidence };
    }
    return null;
  }

  /**
   * A booted system's callback: the signature must be the one of this MAC and boot, the boot must be the
   * host's current one and not have called back yet. Every refusal is logged and written to the audit
   * trail (with the source address); nothing else changes.
   */
  async callback(request: { mac: string; bootId: string; signature: string | undefined; status: 'done' | 'failed'; message?: string; from: string }): Promise<CallbackAnswer> {
    const mac = parseMac(request.mac);
    const refuse = async (refused: CallbackRefusal, reason: string, auditMac?: Mac): Promise<CallbackAnswer> => {
      this.options.logger.warn({ mac: request.mac, bootId: request.bootId, from: request.from, refused }, `lifecycle callback refused: ${reason}`);
      if (auditMac !== undefined) {
        const state = this.record(auditMac).state;
        const event: LifecycleEvent = { kind: 'lifecycle', at: this.now(), mac: auditMac, change: 'refused', from: state, to: state, by: `callback from ${request.from}`, bootId: request.bootId, message: `${refused}: ${reason}` };
        await this.options.store.audit([event]);
        this.options.onAudit?.(event);
      }
      return { accepted: false, refused, reason };
    };
    if (mac === null) return refuse('foreign', `${request.mac} is not a MAC address`);
    if (request.signature === undefined || request.signature === '') return refuse('unsigned', 'the callback carries no signature', mac);
    if (!/^[0-9a-f]{1,64}$/.test(request.bootId) || !verifyCallback(this.key, mac, request.bootId, request.signature)) {
      return refuse('bad-signature', 'the signature is not the one of this MAC and boot (a callback of another machine, or forged)', mac);
    }
    const outcome = await this.apply(mac, { kind: 'callback', bootId: request.bootId, status: request.status, ...(request.message ? { message: request.message } : {}) });
    if (outcome.refused) return refuse(outcome.refused.refused, outcome.refused.reason, mac);
    return { accepted: true, record: outcome.record };
  }

  /** Applies an input to a MAC's record, serialised per MAC, with compare-and-set against the store. */
  private apply(mac: Mac, input: LifecycleInput): Promise<{ record: LifecycleRecord; refused?: { refused: CallbackRefusal; reason: string } }> {
    const previous = this.chains.get(mac) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.applyNow(mac, input));
    this.chains.set(mac, run);
    void run.finally(() => {
      if (this.chains.get(mac) === run) this.chains.delete(mac);
    }).catch(() => {});
    return run;
  }

  private async applyNow(mac: Mac, input: LifecycleInput): Promise<{ record: LifecycleRecord; refused?: { refused: CallbackRefusal; reason: string } }> {
    for (let race = 0; race < MAX_RACES; race += 1) {
      const current = await this.fresh(mac);
      const result = transition(current, input, this.now());
      if (result.next === null) {
        if ('refused' in result) return { record: current, refused: { refused: result.refused, reason: result.reason } };
        return { record: current };
      }
      const audit = auditEvent(mac, result.change, result.next.updatedAt);
      if (await this.options.store.put(rowFromRecord(result.next), [audit])) {
        this.remember(result.next);
        this.options.onAudit?.(audit);
        this.options.logger.info({ mac, change: result.change.change, from: result.change.from, to: result.change.to, by: result.change.by, action: describeAction(result.change.action) }, 'boot lifecycle changed');
        return { record: result.next };
      }
    }
    throw new Error(`the boot lifecycle of ${mac} kept changing under this write (${MAX_RACES} attempts)`);
  }

  private remember(record: LifecycleRecord): void {
    const known = this.records.get(record.mac);
    if (known && known.version >= record.version) return;
    this.records.set(record.mac, record);
    this.publish();
  }

  /** The overrides of every record that changes a boot. */
  overrides(): Map<Mac, NextBootOverride> {
    const overrides = new Map<Mac, NextBootOverride>();
    for (const record of this.records.values()) {
      const action = record.action;
      if (record.state === 'disabled') overrides.set(record.mac, { kind: 'disabled', reason: 'netboot: disabled' });
      else if (bootsAction(record) && action && action.kind !== 'disabled') {
        const url = this.callbackUrlOf(record);
        overrides.set(record.mac, { kind: 'profile', profile: action.profile, extraArgs: url ? [`${CALLBACK_ARG}=${url}`] : [], reason: `${describeAction(action)} (${record.state})` });
      }
    }
    return overrides;
  }

  private publish(): void {
    this.options.applyOverrides(this.overrides());
  }
}

/** The audit event of one change. */
export function auditEvent(mac: Mac, change: LifecycleChange, at: number): LifecycleEvent {
  const event: LifecycleEvent = { kind: 'lifecycle', at, mac, change: change.change, from: change.from, to: change.to, by: change.by };
  const action = describeAction(change.action);
  if (action !== undefined) event.action = action;
  if (change.bootId !== undefined) event.bootId = change.bootId;
  if (change.message !== undefined) event.message = change.message;
  return event;
}

/** Record → store row. */
export function rowFromRecord(record: LifecycleRecord): LifecycleRow {
  const { mac, version, updatedAt, ...doc } = record;
  return { mac, version, updatedAt, doc: doc as unknown as Record<string, unknown> };
}

/** Store row → record. */
export function recordFromRow(row: LifecycleRow): LifecycleRecord {
  return { ...(row.doc as unknown as Omit<LifecycleRecord, 'mac' | 'version' | 'updatedAt'>), mac: row.mac, version: row.version, updatedAt: row.updatedAt };
}
