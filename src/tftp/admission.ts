/**
 * Admission control for read requests: at most `maxTotal` transfers at once, at most `maxPerClient` from
 * one client address, and a bounded FIFO of requests waiting for a slot.
 *
 * Boot ROMs and PXELINUX treat any TFTP ERROR as "file not found" and do not retry, so refusing a request
 * in a boot storm fails that machine's boot. A request that finds every slot taken therefore waits here
 * (its retransmitted RRQs are recognised as the same request) and starts as soon as a slot frees; only a
 * full queue drops requests, silently, so the client's own retransmission tries again later.
 */

/** The limits, from the `tftp` config section. */
export interface AdmissionLimits {
  maxTotal: number;
  maxPerClient: number;
  /** Requests that may wait for a slot; 0 refuses at once instead of waiting. */
  maxQueued: number;
  /** How long a request may wait before it is abandoned (the client has given up by then). */
  maxWaitMs: number;
}

/** What happened to a request. */
export type AdmissionDecision = 'admitted' | 'queued' | 'duplicate' | 'refused';

/** A request that waited and what became of it. */
export interface Dequeued<T> {
  key: string;
  client: string;
  item: T;
  waitedMs: number;
}

interface Waiting<T> {
  client: string;
  item: T;
  since: number;
}

/** Counts active transfers per client and queues the requests that do not fit yet. */
export class Admission<T> {
  private active = 0;
  private readonly perClient = new Map<string, number>();
  private readonly queue = new Map<string, Waiting<T>>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Transfers admitted and not yet released. */
  get activeCount(): number {
    return this.active;
  }

  /** Requests waiting for a slot. */
  get queuedCount(): number {
    return this.queue.size;
  }

  /** Whether a request with this key is waiting. */
  isQueued(key: string): boolean {
    return this.queue.has(key);
  }

  /** Admits the request now, queues it, or refuses it (queue full, or queueing disabled). */
  request(key: string, client: string, item: T): AdmissionDecision {
    if (this.queue.has(key)) return 'duplicate';
    // No queue-jumping: every release drains the queue, so a waiting request is only ever blocked by
    // its own client's limit or by a full server, and a request that fits now takes no one's turn.
    if (this.fits(client)) {
      this.take(client);
      return 'admitted';
    }
    if (this.limits.maxQueued === 0 || this.queue.size >= this.limits.maxQueued) return 'refused';
    this.queue.set(key, { client, item, since: this.now() });
    return 'queued';
  }

  /** Which limit a client is up against (for messages). */
  limitReached(client: string): 'maxTransfers' | 'maxTransfersPerClient' {
    return this.active >= this.limits.maxTotal ? 'maxTransfers' : 'maxTransfersPerClient';
  }

  /**
   * Frees the slot of a finished transfer and returns the waiting requests that now get a slot (already
   * counted as active: start them) and those that waited too long (dropped).
   */
  release(client: string): { admitted: Dequeued<T>[]; expired: Dequeued<T>[] } {
    this.active -= 1;
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
    return this.drain();
  }

  /** Admits waiting requests in arrival order while slots allow; drops the expired ones. */
  drain(): { admitted: Dequeued<T>[]; expired: Dequeued<T>[] } {
    const admitted: Dequeued<T>[] = [];
    const expired: Dequeued<T>[] = [];
    const now = this.now();
    for (const [key, waiting] of this.queue) {
      const waitedMs = now - waiting.since;
      if (waitedMs > this.limits.maxWaitMs) {
        this.queue.delete(key);
        expired.push({ key, client: waiting.client, item: waiting.item, waitedMs });
        continue;
      }
      if (this.active >= this.limits.maxTotal) break;
      if (!this.fits(waiting.client)) continue; // this client is at its own limit; later ones may fit
      this.queue.delete(key);
      this.take(waiting.client);
      admitted.push({ key, client: waiting.client, item: waiting.item, waitedMs });
    }
    return { admitted, expired };
  }

  /** Empties the queue (server stopping) and returns what was waiting. */
  clear(): Dequeued<T>[] {
    const now = this.now();
    const all = [...this.queue].map(([key, w]) => ({ key, client: w.client, item: w.item, waitedMs: now - w.since }));
    this.queue.clear();
    return all;
  }

  private fits(client: string): boolean {
    return this.active < this.limits.maxTotal && (this.perClient.get(client) ?? 0) < this.limits.maxPerClient;
  }

  private take(client: string): void {
    this.active += 1;
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
  }
}
