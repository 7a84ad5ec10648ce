/**
 * What the console's Machines and Overview pages read, kept in memory and up to date from the event
 * stream instead of scanning the events table on every request: per MAC, its newest event, when it was
 * first seen, its last successful fetch and what its last DHCP message said; and the hour's overview
 * figures (`OverviewTally`).
 *
 * The index reads the stored timeline of the last `SEEN_WINDOW_MS` once, when it starts (so a restart
 * loses nothing), and from then on takes every recorded event from the recorder. With a store that
 * several instances share (PostgreSQL), the others' events reach this process only through the store:
 * then the index also reads the newest events every `pollMs` and skips those it has already taken.
 *
 * Folding an event into a machine's entry keeps the newest of each field by event time, so the order
 * in which the start-up read and the live events arrive does not matter, and an event taken twice
 * changes nothing.
 */
import type { EventStore } from '../../store/types.js';
import type { BootEvent } from '../../timeline/types.js';
import { addEvent, type MachineActivity } from './machine-state.js';
import { OverviewTally } from './overview-tally.js';

/** How far back a machine counts as "recently seen" (and how far back the start-up read goes). */
export const SEEN_WINDOW_MS = 24 * 3_600_000;
/** Most events read at start-up (the newest). */
const MAX_START_EVENTS = 200_000;
/** Most MACs held; beyond that, entries not seen within the window go first, then the oldest added. */
export const MAX_MACS = 200_000;

/** What the index knows of one MAC. */
export interface SeenMachine {
  /** Its newest event. */
  last: BootEvent;
  /** When its first event (in the index) happened. */
  first: number;
  /** When it last fetched a file successfully (TFTP complete, HTTP below 400). */
  fetchedAt?: number;
  /** When it last sent a DHCP message; unset for MACs never seen in DHCP. */
  dhcpAt?: number;
  /** DHCP option 93 of its last DHCP message that carried one. */
  arch?: number;
  /** DHCP option 60 of its last DHCP message that carried one. */
  vendorClass?: string;
}

/** The recorder's side the index needs: every recorded (MAC-enriched) event. */
export interface RecordedEvents {
  subscribe(listener: (event: BootEvent) => void): () => void;
}

/** Folds one event into a MAC's entry (or starts one); keeps the newest of each field by event time. Pure. */
export function foldSeen(entry: SeenMachine | undefined, event: BootEvent): SeenMachine {
  const next: SeenMachine = entry ? { ...entry } : { last: event, first: event.at };
  if (event.at >= next.last.at) next.last = event;
  if (event.at < next.first) next.first = event.at;
  const fetched = addEvent({ fetched: false }, event).fetched;
  if (fetched && (next.fetchedAt === undefined || event.at > next.fetchedAt)) next.fetchedAt = event.at;
  if (event.kind === 'dhcp' && (next.dhcpAt === undefined || event.at >= next.dhcpAt)) {
    next.dhcpAt = event.at;
    if (event.arch !== undefined) next.arch = event.arch;
    if (event.vendorClass !== undefined) next.vendorClass = event.vendorClass;
  }
  return next;
}

/** The activity the state rule reads (`machineState`), as of `now`: only what happened within the window counts. */
export function activityOf(entry: SeenMachine | undefined, now: number): MachineActivity {
  if (entry === undefined || entry.last.at < now - SEEN_WINDOW_MS) return { fetched: false };
  return { last: entry.last, fetched: entry.fetchedAt !== undefined && entry.fetchedAt >= now - SEEN_WINDOW_MS };
}

/** Options of the index. */
export interface MachineIndexOptions {
  events: EventStore;
  recorder?: RecordedEvents;
  /** Read the newest stored events this often (a store shared with other instances); 0 = never. */
  pollMs?: number;
  now?: () => number;
}

/** The in-memory machine index; `start()` reads the stored window and follows the recorder. */
export class MachineIndex {
  private readonly seen = new Map<string, SeenMachine>();
  /** The hour's figures of the Overview page. */
  readonly overview = new OverviewTally();
  private readonly now: () => number;
  private loading: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  /**
   * Events already taken, by their JSON, with their time: only kept when the store is shared, so that an
   * event read back from the store after it came live is not counted twice in the overview.
   */
  private readonly taken: Map<string, number> | null;
  private lastPoll = 0;

  constructor(private readonly options: MachineIndexOptions) {
    this.now = options.now ?? Date.now;
    this.taken = (options.pollMs ?? 0) > 0 ? new Map() : null;
  }

  /** Follows the recorder and reads the stored window (once); resolves when the read is done. */
  start(): Promise<void> {
    if (this.loading) return this.loading;
    // Subscribe first: an event recorded during the read is then in one of the two, or both (harmless).
    this.unsubscribe = this.options.recorder?.subscribe((event) => this.take(event)) ?? null;
    const since = this.now() - SEEN_WINDOW_MS;
    this.lastPoll = this.now();
    this.loading = this.options.events.listEvents({ since, limit: MAX_START_EVENTS }).then((events) => {
      for (const event of events) this.take(event);
    });
    // A failed read is retried by the next caller rather than remembered.
    this.loading.catch(() => (this.loading = null));
    const pollMs = this.options.pollMs ?? 0;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.poll().catch(() => {}), pollMs);
      this.pollTimer.unref();
    }
    return this.loading;
  }

  /** Stops following the recorder and the store. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Waits for the start-up read, then gives every MAC's entry (read-only: do not change them). */
  async machines(): Promise<ReadonlyMap<string, SeenMachine>> {
    await this.start();
    return this.seen;
  }

  /** Reads events stored since the last poll (with some overlap: another instance writes in batches). */
  async poll(): Promise<void> {
    const now = this.now();
    const since = this.lastPoll - 10_000;
    this.lastPoll = now;
    for (const event of await this.options.events.listEvents({ since, limit: MAX_START_EVENTS })) this.take(event);
    // What is older than the overlap can no longer come back.
    if (this.taken) for (const [key, at] of this.taken) if (at < since - 60_000) this.taken.delete(key);
  }

  /** Takes one event into the index. */
  take(event: BootEvent): void {
    if (this.taken) {
      const key = JSON.stringify(event);
      if (this.taken.has(key)) return;
      this.taken.set(key, event.at);
    }
    this.overview.add(event, this.now());
    if (event.mac === undefined) return;
    const entry = this.seen.get(event.mac);
    if (entry === undefined && this.seen.size >= MAX_MACS) this.evict();
    this.seen.set(event.mac, foldSeen(entry, event));
  }

  /** Makes room: entries outside the window first, else the entry added first. */
  private evict(): void {
    const before = this.now() - SEEN_WINDOW_MS;
    for (const [mac, entry] of this.seen) if (entry.last.at < before) this.seen.delete(mac);
    if (this.seen.size >= MAX_MACS) this.seen.delete(this.seen.keys().next().value!);
  }
}
