/**
 * Persists boot events: subscribes to the event bus, gives each event a MAC where it can
 * (`EventEnricher`), tells live listeners (the SSE stream, metrics), and writes them to the store in
 * batches (one transaction per batch, every `flushIntervalMs`). Retention runs on a timer: events older
 * than `maxAgeHours` go, and per machine only the newest `maxPerMachine` stay. The recorder never throws
 * into a producer: a failed write is logged and counted, and the batch is dropped.
 */
import type { EventBus } from './bus.js';
import type { BootEvent } from './types.js';
import type { Logger } from '../log.js';
import type { EventRetention } from '../store/config.js';
import type { EventEnricher } from './enricher.js';
import type { EventLog } from '../store/types.js';

/** Receives every recorded (enriched) event. */
export type RecordedEventListener = (event: BootEvent) => void;

/** Options of the recorder. */
export interface EventRecorderOptions {
  bus: EventBus;
  events: EventLog;
  enricher: EventEnricher;
  retention: EventRetention;
  logger: Logger;
  /** How long events wait to be written in one batch. */
  flushIntervalMs?: number;
  /** Most events held in memory; beyond that new events are dropped (and counted) until a write finishes. */
  maxPending?: number;
}

/** The event recorder; `start()` subscribes, `close()` writes what is pending and stops. */
export class EventRecorder {
  private readonly queue: Array<BootEvent | Promise<BootEvent>> = [];
  private readonly listeners = new Set<RecordedEventListener>();
  private unsubscribe: (() => void) | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Events dropped because the queue was full or a write failed. */
  dropped = 0;
  /** Events written. */
  written = 0;
  private lastWarning = 0;
  private unreportedFailures = 0;

  constructor(private readonly options: EventRecorderOptions) {}

  /** Subscribes to the bus and starts the retention timer. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.bus.subscribe((event) => this.accept(event));
    const interval = this.options.retention.pruneIntervalSeconds * 1000;
    this.pruneTimer = setInterval(() => void this.prune(), interval);
    this.pruneTimer.unref();
  }

  /** Adds a live listener for recorded events; returns the function that removes it. */
  subscribe(listener: RecordedEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private accept(event: BootEvent): void {
    if (this.queue.length >= (this.options.maxPending ?? 100_000)) {
      this.dropped += 1;
      return;
    }
    const now = this.options.enricher.enrichNow(event);
    if (now.mac === undefined && now.ip !== undefined) {
      // Needs a lease lookup; its place in the queue is kept so the timeline stays in arrival order.
      this.queue.push(
        this.options.enricher.enrich(now).then((enriched) => {
          this.notify(enriched);
          return enriched;
        }),
      );
    } else {
      this.notify(now);
      this.queue.push(now);
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.options.flushIntervalMs ?? 100);
  }

  /**
   * Tells live listeners of an event that was written to the store elsewhere (a lifecycle change and its
   * audit event share one transaction): it is not queued again.
   */
  announce(event: BootEvent): void {
    this.notify(event);
  }

  private notify(event: BootEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not stop recording.
      }
    }
  }

  /** Writes everything queued so far; resolves when it is in the store. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = await Promise.all(this.queue.splice(0));
      if (batch.length === 0) return;
      try {
        await this.options.events.appendEvents(batch);
        this.written += batch.length;
      } catch (error) {
        this.dropped += batch.length;
        this.warn(error, batch.length);
      }
    });
    return this.flushing;
  }

  /** Logs a failed write at most once a minute (a store outage would otherwise log ten lines a second). */
  private warn(error: unknown, events: number): void {
    this.unreportedFailures += 1;
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.options.logger.warn({ err: error, events, failedWrites: this.unreportedFailures, droppedTotal: this.dropped }, 'could not write boot events');
    this.lastWarning = now;
    this.unreportedFailures = 0;
  }

  /** Applies retention now; returns how many events were removed. */
  async prune(now = Date.now()): Promise<number> {
    const { maxAgeHours, maxPerMachine } = this.options.retention;
    try {
      return await this.options.events.pruneEvents({ before: now - maxAgeHours * 3_600_000, keepPerMachine: maxPerMachine });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'event retention failed');
      return 0;
    }
  }

  /** Stops listening, writes what is pending, stops the timers. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    await this.flush();
    this.listeners.clear();
  }
}
