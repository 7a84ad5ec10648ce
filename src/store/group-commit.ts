/**
 * Group commit for the SQLite store: the lease claims that arrive while the event loop is busy (one
 * poll phase reads up to 32 datagrams, and each DHCP exchange reaches its claim before yielding) are
 * run in ONE immediate transaction at the next `setImmediate`, so a burst costs one WAL commit (and,
 * with `synchronous=FULL`, one fsync) instead of one per exchange. Each claim is its own savepoint
 * inside the group: a claim that throws rolls back alone and fails alone. Every claim's promise settles
 * only after the group's COMMIT returned, so an ACK still leaves only once its lease is committed; a
 * failed COMMIT (full disk, I/O error) fails every claim of the group and nothing of it is kept.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** One queued unit of work and the promise waiting for its committed result. */
interface Pending<T> {
  run: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Batches synchronous SQLite work into shared transactions. */
export class GroupCommit {
  private queue: Array<Pending<unknown>> = [];
  private scheduled = false;
  /** Groups committed and units in them, for tests and metrics. */
  readonly stats = { groups: 0, units: 0, largest: 0 };

  /** `maxGroup` bounds one transaction, so one giant burst does not hold the write lock for long. */
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly maxGroup = 256,
  ) {}

  /**
   * Queues `unit` (synchronous statements, typically a `db.transaction` function, which nests as a
   * savepoint) and resolves with its result once the transaction holding it has committed.
   */
  submit<T>(unit: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: unit, resolve, reject } as Pending<unknown>);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.queue.splice(0, this.maxGroup);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const unit of group) {
          try {
            outcomes.push({ ok: true, value: unit.run() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      // The COMMIT (or BEGIN) failed: none of the group is stored.
      for (const unit of group) unit.reject(error);
      return;
    }
    this.stats.groups += 1;
    this.stats.units += group.length;
    this.stats.largest = Math.max(this.stats.largest, group.length);
    group.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}
