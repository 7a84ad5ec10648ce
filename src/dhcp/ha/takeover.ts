/**
 * Who answers which clients, as the heartbeats say: the takeover state of one instance. Pure: it is fed
 * readings of the peers' heartbeat counters and the local time, so it is tested with a fake clock.
 *
 * Every instance bumps its own counter in the shared database every `heartbeat` interval. A peer is up
 * while its counter moves: it is declared down when a fresh reading shows the same counter it has shown
 * for `takeover` ms of *this* instance's clock (no clocks are compared across machines), and up again at
 * the first reading where it moved. At start every peer gets `takeover` ms to show a beat, so an instance
 * started alone answers everyone after that time and one started beside a running peer never does.
 *
 * A client's bucket (RFC 3074 hash, `load-balance.ts`) belongs to peer `bucket mod n` (its primary). When
 * the primary is down, its clients are spread over the peers that are up, in configured order, by the
 * same bucket (`bucket mod up`), so survivors that agree on who is up answer each client exactly once.
 * The states are Kea's load-balancing and partner-down; unlike Kea the returning peer needs no lease
 * synchronisation step, because its lease table is read from the shared database before its first beat.
 */
import { primaryPeerOf } from './load-balance.js';

/** One peer's heartbeat counter as read from the store. */
export interface PeerBeat {
  name: string;
  beats: number;
}

/** A change in who is up, reported by `observe`. */
export interface TakeoverChange {
  /** Peers that stopped beating: this instance now answers (some of) their clients. */
  down: string[];
  /** Peers that beat again: their clients are theirs again. */
  up: string[];
}

interface PeerView {
  /** False until the first reading. */
  observed: boolean;
  beats: number | null;
  /** Local time the counter was last seen to move (or this instance started). */
  changedAt: number;
  up: boolean;
}

/** The takeover state of one instance among `peers`. */
export class TakeoverState {
  private readonly views = new Map<string, PeerView>();
  private readonly selfIndex: number;

  constructor(
    /** Every instance's name, in the configured order (bucket `i mod n` belongs to `peers[i mod n]`). */
    private readonly peers: readonly string[],
    /** This instance's name; one of `peers`. */
    readonly self: string,
    /** How long a peer's counter may stand still before its clients are taken over (ms). */
    private readonly takeoverMs: number,
    startedAt: number,
  ) {
    this.selfIndex = peers.indexOf(self);
    if (this.selfIndex < 0) throw new Error(`${self} is not one of the peers ${peers.join(', ')}`);
    for (const name of peers) if (name !== self) this.views.set(name, { observed: false, beats: null, changedAt: startedAt, up: true });
  }

  /**
   * Takes one reading of the heartbeat counters (peers missing from it have not beaten yet). Returns what
   * changed, or `null`.
   */
  observe(beats: readonly PeerBeat[], now: number): TakeoverChange | null {
    const read = new Map(beats.map((b) => [b.name, b.beats]));
    const change: TakeoverChange = { down: [], up: [] };
    for (const [name, view] of this.views) {
      const counter = read.get(name) ?? null;
      if (!view.observed) {
        // The first reading is no beat: a row already there may be a dead peer's.
        view.observed = true;
        view.beats = counter;
      } else if (counter !== view.beats) {
        view.beats = counter;
        view.changedAt = now;
        if (!view.up) {
          view.up = true;
          change.up.push(name);
        }
      }
      if (view.up && now - view.changedAt >= this.takeoverMs) {
        view.up = false;
        change.down.push(name);
      }
    }
    return change.down.length > 0 || change.up.length > 0 ? change : null;
  }

  /** True when the peer is considered up (this instance always is). */
  isUp(name: string): boolean {
    return name === this.self || (this.views.get(name)?.up ?? false);
  }

  /** The peers considered up, in configured order. */
  upPeers(): string[] {
    return this.peers.filter((name) => this.isUp(name));
  }

  /** The peer that answers clients of `bucket` now. */
  answererOf(bucket: number): string {
    const primary = this.peers[primaryPeerOf(bucket, this.peers.length)]!;
    if (this.isUp(primary)) return primary;
    const up = this.upPeers();
    return up[bucket % up.length]!;
  }

  /** True when this instance answers clients of `bucket` now. */
  answers(bucket: number): boolean {
    return this.answererOf(bucket) === this.self;
  }
}
