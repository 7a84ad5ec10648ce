/**
 * The TFTP and HTTP transfers running now, with the bytes moved so far: what the Overview page shows
 * while a kernel or an initrd is on its way (the timeline records a transfer only when it ends). The
 * protocol servers report into it: `begin` when a transfer starts, `progress` now and then (TFTP at a
 * bounded rate, `tftp/progress-sender.ts`; HTTP once per chunk sent), `end` when it is over.
 *
 * Bounded: at most `MAX_ACTIVE` entries (the servers' own limits are lower), and a report about a
 * transfer it does not hold is ignored, so a late report after `end` cannot resurrect one.
 */

/** Most transfers held; a `begin` beyond it is not listed (the transfer itself is not affected). */
export const MAX_ACTIVE = 4096;

/** One running transfer. */
export interface ActiveTransfer {
  /** Unique while it runs. */
  id: string;
  via: 'tftp' | 'http';
  /** The file name as the client asked for it (TFTP) or the URL path (HTTP). */
  file: string;
  /** The client's address and port. */
  ip: string;
  port: number;
  /** Bytes of the file (or of the range) to send. */
  size: number;
  /** Bytes acknowledged by the client (TFTP) or handed to the socket (HTTP) so far. */
  bytes: number;
  /** When it started, ms since the epoch. */
  startedAt: number;
  /** Bytes per second over the last one to two seconds (over the whole transfer in its first second). */
  rate: number;
}

/** What a protocol server reports to. */
export interface TransferProgressSink {
  /** A transfer starts; returns its id, or `null` when the registry is full. */
  begin(transfer: Pick<ActiveTransfer, 'via' | 'file' | 'ip' | 'port' | 'size'>): string | null;
  /** Bytes so far of a running transfer. */
  progress(id: string, bytes: number): void;
  /** The transfer is over (any outcome). */
  end(id: string): void;
}

/** The rate is measured over at least this long, so a burst into socket buffers does not show as the rate. */
export const RATE_WINDOW_MS = 1000;

/** A point of a transfer's progress. */
interface Sample {
  at: number;
  bytes: number;
}

/**
 * An entry with two samples: the rate is measured from `from` (at least `RATE_WINDOW_MS` old once the
 * transfer has run that long); `next` becomes `from` when it is old enough in turn.
 */
type Entry = ActiveTransfer & { from: Sample; next: Sample };

/** The registry of running transfers. */
export class ActiveTransfers implements TransferProgressSink {
  private readonly running = new Map<string, Entry>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  begin(transfer: Pick<ActiveTransfer, 'via' | 'file' | 'ip' | 'port' | 'size'>): string | null {
    if (this.running.size >= MAX_ACTIVE) return null;
    const id = `${transfer.via}-${this.nextId++}`;
    const at = this.now();
    this.running.set(id, { ...transfer, id, bytes: 0, startedAt: at, rate: 0, from: { at, bytes: 0 }, next: { at, bytes: 0 } });
    return id;
  }

  progress(id: string, bytes: number): void {
    const entry = this.running.get(id);
    if (entry === undefined) return;
    const at = this.now();
    entry.bytes = bytes;
    if (at - entry.next.at >= RATE_WINDOW_MS) {
      entry.from = entry.next;
      entry.next = { at, bytes };
    }
    const ms = at - entry.from.at;
    if (ms > 0) entry.rate = Math.round(((bytes - entry.from.bytes) * 1000) / ms);
  }

  end(id: string): void {
    this.running.delete(id);
  }

  /** The running transfers, oldest first. */
  list(): ActiveTransfer[] {
    return [...this.running.values()].map(({ from: _from, next: _next, ...t }) => t);
  }

  /** How many run now. */
  get size(): number {
    return this.running.size;
  }
}
