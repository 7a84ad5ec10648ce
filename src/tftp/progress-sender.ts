/**
 * Reports the progress of running TFTP transfers at a bounded rate: every `PROGRESS_INTERVAL_MS`, while
 * at least one transfer runs, one timer reads each transfer's acknowledged bytes and reports them. The
 * transfers themselves do nothing for it (no work per ACK, nothing on the native engine's ACK thread),
 * so reporting cannot slow them; the cost is one look per transfer four times a second.
 *
 * The acknowledged count is read from the window without owning it (as the retransmit timer's first
 * look does, `Window.progressAt`): a value one ACK stale is as good as any for a progress bar.
 */
import type { TransferProgressSink } from '../timeline/active-transfers.js';
import type { TransferClock } from './transfer/transfer.js';

/** How often running transfers are reported. */
export const PROGRESS_INTERVAL_MS = 250;

/** A running transfer as the sender sees it. */
export interface ProgressSource {
  /** Payload bytes the client has acknowledged so far. */
  readonly bytesAcknowledged: number;
}

/** Samples registered transfers and reports them to a sink. */
export class ProgressSender {
  private readonly sources = new Map<string, ProgressSource>();
  private timer: unknown = null;

  constructor(
    private readonly sink: TransferProgressSink,
    private readonly clock: TransferClock,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Starts reporting a transfer under `id` (from the sink's `begin`). */
  add(id: string, source: ProgressSource): void {
    this.sources.set(id, source);
    this.timer ??= this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  /** Stops reporting it and tells the sink it ended. */
  remove(id: string): void {
    this.sources.delete(id);
    this.sink.end(id);
  }

  private tick(): void {
    this.timer = null;
    for (const [id, source] of this.sources) this.sink.progress(id, source.bytesAcknowledged);
    if (this.sources.size > 0) this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  /** Stops the timer (the server is closing). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const id of [...this.sources.keys()]) this.remove(id);
  }
}
