/**
 * Group commit for the PostgreSQL store's lease claims: the claims that arrive while one batch is in the
 * database share the next one, so a burst costs one statement, one round trip and one commit (and, with
 * `durability: power`, one WAL flush) instead of one each. Each claim keeps the meaning of the single
 * claim (`claimLease` in types.ts): an upsert that refuses another MAC's unexpired row, and the removal
 * of the MAC's other addresses, all in the batch's one transaction. Every claim's promise settles only
 * after that transaction committed, so an ACK still leaves only once its lease is committed.
 *
 * Rules that keep a batch equal to its claims run one after another:
 * - no two claims of one batch name the same address or the same MAC (a later one waits for the next
 *   batch): PostgreSQL refuses to update one row twice in a statement ("ON CONFLICT DO UPDATE command
 *   cannot affect row a second time"), and a MAC's removal must not race its own claim;
 * - the removal of a MAC's other addresses spares the addresses this batch has just claimed, so an
 *   expired address taken over by another MAC in the same batch stays that MAC's;
 * - rows are claimed in address order, so two instances' batches lock rows in one order and do not
 *   deadlock each other;
 * - a batch that fails (deadlock, a bad row, a lost connection) is retried claim by claim with the single
 *   statement, so one claim's failure is that claim's alone and an outage still fails each claim;
 * - the batch statement is not prepared by name: a named statement keeps the generic plan PostgreSQL
 *   made while the table was small, and on a new table that plan removes a MAC's other addresses by
 *   reading the whole table (seen: 31 ms per batch at 10,000 rows). Unnamed, each batch is planned for
 *   the table as it is, and the index on `mac` serves the removal; the planning is shared by the batch.
 *   A claim that comes alone uses the single statement, prepared: its generic plan reads the `mac`
 *   index whatever the table's size, and planning the batch statement would double its latency.
 */
import type pg from 'pg';
import { leaseParams } from './rows.js';
import type { Lease } from './types.js';

/** One claim as a single statement; also the fallback when a batch fails. */
export const SINGLE_CLAIM = `
  WITH claimed AS (
    INSERT INTO leases (ip, mac, state, expires_at, updated_at, client_id, hostname)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, state = excluded.state, expires_at = excluded.expires_at,
      updated_at = excluded.updated_at, client_id = excluded.client_id, hostname = excluded.hostname
    WHERE leases.mac = excluded.mac OR leases.expires_at <= $8
    RETURNING ip
  ), dropped AS (
    DELETE FROM leases WHERE mac = $2 AND ip <> $1 AND state <> 'declined' AND EXISTS (SELECT 1 FROM claimed)
  )
  SELECT count(*)::int AS claimed FROM claimed`;

/**
 * Many claims as one statement: the claims come in as parallel arrays (`unnest`), each with its own
 * `now`, and the addresses claimed come back. `ORDER BY ip` fixes the order rows are locked in. The
 * removal matches the claimed MACs as one array (`= ANY`), served from the `leases_mac` index when the
 * statement is planned for the table as it is (see above: not prepared by name).
 */
export const BATCH_CLAIM = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])
      AS t(ip, mac, state, expires_at, updated_at, client_id, hostname, now)
  ), claimed AS (
    INSERT INTO leases (ip, mac, state, expires_at, updated_at, client_id, hostname)
    SELECT ip, mac, state, expires_at, updated_at, client_id, hostname FROM input ORDER BY ip
    ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, state = excluded.state, expires_at = excluded.expires_at,
      updated_at = excluded.updated_at, client_id = excluded.client_id, hostname = excluded.hostname
    WHERE leases.mac = excluded.mac OR leases.expires_at <= (SELECT i.now FROM input i WHERE i.ip = excluded.ip)
    RETURNING ip, mac
  ), dropped AS (
    DELETE FROM leases
    WHERE mac = ANY (ARRAY(SELECT mac FROM claimed)) AND state <> 'declined' AND ip <> ALL (ARRAY(SELECT ip FROM claimed))
  )
  SELECT ip FROM claimed`;

interface PendingClaim {
  lease: Lease;
  now: number;
  resolve: (claimed: boolean) => void;
  reject: (error: unknown) => void;
}

/** Claims batched into shared statements; `claim` has the meaning of `LeaseStore.claimLease`. */
export class PostgresClaimBatcher {
  private queue: PendingClaim[] = [];
  /** A batch is in the database; one at a time, so a claim held back for a later batch runs after it. */
  private busy = false;
  private scheduled = false;
  /** Batches sent and claims in them, and batches retried claim by claim, for tests. */
  readonly stats = { batches: 0, claims: 0, largest: 0, retriedSingly: 0 };

  /** Claims arriving while a batch is in the database wait for the next; `maxBatch` bounds one statement. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves `true` once the claim is committed, `false` when another MAC holds the address. */
  claim(lease: Lease, now: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ lease, now, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.queue.length === 0) return;
    this.scheduled = true;
    // The claims of this event-loop turn join the batch before it leaves.
    setImmediate(() => {
      this.scheduled = false;
      this.sendNext();
    });
  }

  private sendNext(): void {
    if (this.busy || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.busy = true;
    void this.run(batch).finally(() => {
      this.busy = false;
      this.schedule();
    });
  }

  /** Up to `maxBatch` claims with distinct addresses and MACs, in arrival order; the rest stay queued. */
  private takeBatch(): PendingClaim[] {
    const batch: PendingClaim[] = [];
    const rest: PendingClaim[] = [];
    const ips = new Set<string>();
    const macs = new Set<string>();
    for (const pending of this.queue) {
      const { ip, mac } = pending.lease;
      if (batch.length < this.maxBatch && !ips.has(ip) && !macs.has(mac)) {
        batch.push(pending);
        ips.add(ip);
        macs.add(mac);
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: PendingClaim[]): Promise<void> {
    // A claim alone keeps the prepared single statement: planning the batch statement costs more than
    // the claim itself.
    if (batch.length === 1) return this.runSingly(batch, true);
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const { lease, now } of batch) {
      leaseParams(lease).forEach((value, i) => columns[i]!.push(value));
      columns[7]!.push(now);
    }
    let claimed: Set<string>;
    try {
      const { rows } = await this.pool.query<{ ip: string }>(BATCH_CLAIM, columns);
      claimed = new Set(rows.map((row) => row.ip));
    } catch {
      this.stats.retriedSingly += 1;
      return this.runSingly(batch);
    }
    this.count(batch.length);
    for (const pending of batch) pending.resolve(claimed.has(pending.lease.ip));
  }

  /** Each claim with the single statement; `prepared`: by name, as the path of a claim that came alone. */
  private async runSingly(batch: PendingClaim[], prepared = false): Promise<void> {
    this.count(batch.length);
    await Promise.all(
      batch.map(async ({ lease, now, resolve, reject }) => {
        try {
          const values = [...leaseParams(lease), now];
          const { rows } = await this.pool.query<{ claimed: number }>(prepared ? { name: 'xenboot_claim_lease', text: SINGLE_CLAIM, values } : { text: SINGLE_CLAIM, values });
          resolve(rows[0]?.claimed === 1);
        } catch (error) {
          reject(error);
        }
      }),
    );
  }

  private count(claims: number): void {
    this.stats.batches += 1;
    this.stats.claims += claims;
    this.stats.largest = Math.max(this.stats.largest, claims);
  }
}
