/**
 * The Overview page's figures of the last hour, tallied as events arrive: boots and failures per minute,
 * the transfers that ended in the last minute, and the latest failures. Memory is bounded whatever the
 * event rate: 60 minute counters, at most `MAX_TRANSFERS` transfers and `MAX_ERRORS` failures.
 *
 * A "boot" is a DHCP ACK that named a boot file; a failure is what `isFailure` says (a TFTP transfer that
 * did not complete, an HTTP fetch answered 4xx/5xx, a NAK). The timeline records a transfer once, when it
 * ends, so these are finished transfers; running ones are `ActiveTransfers`'.
 */
import type { BootEvent } from '../../timeline/types.js';
import { isFailure } from './machine-state.js';

const MINUTE = 60_000;
/** Minutes in the per-minute series. */
export const OVERVIEW_MINUTES = 60;
/** Transfers listed (the newest of the last minute). */
export const MAX_TRANSFERS = 50;
/** Failures listed (the newest of the last hour). */
export const MAX_ERRORS = 20;

/** One finished transfer as the overview lists it. */
export interface TransferRow {
  at: number;
  mac?: string;
  ip?: string;
  via: 'tftp' | 'http';
  file: string;
  bytes: number;
  durationMs: number;
  /** Bytes per second over the transfer. */
  throughput: number;
  ok: boolean;
}

/** The tallied figures at one moment. */
export interface OverviewFigures {
  /** Oldest minute first; `start` is the minute's first millisecond. */
  perMinute: Array<{ start: number; boots: number; failures: number }>;
  /** Newest first. */
  transfers: TransferRow[];
  /** Newest first. */
  recentErrors: BootEvent[];
}

/** Keeps `list` sorted by `at` (oldest first) with `item` in it, and at most `max` of the newest. */
function insertNewest<T extends { at: number }>(list: T[], item: T, max: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.at > item.at) i -= 1;
  if (i === 0 && list.length >= max) return; // older than everything kept
  list.splice(i, 0, item);
  if (list.length > max) list.shift();
}

/** The running tally. */
export class OverviewTally {
  /** Minute start → counts. */
  private readonly minutes = new Map<number, { boots: number; failures: number }>();
  private readonly transfers: TransferRow[] = [];
  private readonly errors: BootEvent[] = [];

  /** Counts one event; events older than the hour (as of `now`) are ignored. */
  add(event: BootEvent, now: number): void {
    const firstMinute = Math.floor(now / MINUTE) * MINUTE - (OVERVIEW_MINUTES - 1) * MINUTE;
    if (event.at < firstMinute) return;
    const failed = isFailure(event);
    const boot = event.kind === 'dhcp' && event.reply === 'ACK' && event.bootFile !== undefined;
    if (boot || failed) {
      const minute = Math.floor(event.at / MINUTE) * MINUTE;
      const slot = this.minutes.get(minute) ?? { boots: 0, failures: 0 };
      if (boot) slot.boots += 1;
      if (failed) slot.failures += 1;
      this.minutes.set(minute, slot);
      if (this.minutes.size > OVERVIEW_MINUTES + 2) for (const start of this.minutes.keys()) if (start < firstMinute) this.minutes.delete(start);
    }
    if (failed) insertNewest(this.errors, event, MAX_ERRORS);
    if ((event.kind === 'tftp' || event.kind === 'http') && now - event.at < MINUTE) {
      const row: TransferRow = {
        at: event.at,
        via: event.kind,
        file: event.kind === 'tftp' ? event.file : event.path,
        bytes: event.bytes,
        durationMs: event.durationMs,
        throughput: event.durationMs > 0 ? Math.round((event.bytes * 1000) / event.durationMs) : event.bytes,
        ok: !failed,
      };
      if (event.mac !== undefined) row.mac = event.mac;
      if (event.ip !== undefined) row.ip = event.ip;
      insertNewest(this.transfers, row, MAX_TRANSFERS);
    }
  }

  /** The figures as of `now`. */
  figures(now: number): OverviewFigures {
    const firstMinute = Math.floor(now / MINUTE) * MINUTE - (OVERVIEW_MINUTES - 1) * MINUTE;
    const perMinute = Array.from({ length: OVERVIEW_MINUTES }, (_, i) => {
      const start = firstMinute + i * MINUTE;
      return { start, ...(this.minutes.get(start) ?? { boots: 0, failures: 0 }) };
    });
    return {
      perMinute,
      transfers: this.transfers.filter((t) => now - t.at < MINUTE).reverse(),
      recentErrors: this.errors.filter((e) => e.at >= now - OVERVIEW_MINUTES * MINUTE).reverse(),
    };
  }
}
