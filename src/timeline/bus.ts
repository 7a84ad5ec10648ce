/**
 * A tiny synchronous publish/subscribe hub for boot events. Producers (DHCP, TFTP, HTTP) emit; consumers
 * (store, metrics, live stream) subscribe. A failing consumer never breaks a producer.
 */
import type { BootEvent } from './types.js';

/** Receives every event emitted after it subscribed. */
export type EventListener = (event: BootEvent) => void;

/** The event hub passed to every service. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private failures = 0;

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers the event to every listener, isolating listener errors. */
  emit(event: BootEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.failures += 1;
      }
    }
  }

  /** How many listener calls threw (for diagnostics and tests). */
  get listenerFailures(): number {
    return this.failures;
  }
}
