/**
 * What state a machine is in, read from its boot events: the one rule the machines API and the console's
 * live rows share (the console bundles this file, so a row updated from the event stream and a row read
 * from `GET /api/v1/machines` always agree). Pure: no I/O, the clock is an argument.
 *
 * - `unknown`: the MAC is not in the inventory (it was only seen on the wire);
 * - `failed`: its last event is a failure: a TFTP transfer that ended other than `complete` or `aborted`
 *   (`aborted` is the client's own ERROR, which UEFI sends after its `tsize` probe, RFC 2349 §"tsize"), an
 *   HTTP fetch answered 4xx/5xx, or a DHCP NAK;
 * - `booting`: its last event is less than `BOOTING_WINDOW_MS` old;
 * - `booted`: it fetched at least one file and has been quiet since;
 * - `idle`: nothing else (no events, or only DHCP long ago).
 */
import type { BootEvent } from '../../timeline/types.js';

/** A machine's state as the console shows it. */
export type MachineState = 'booting' | 'booted' | 'failed' | 'idle' | 'unknown';

/** A machine that sent nothing for this long is no longer "booting". */
export const BOOTING_WINDOW_MS = 120_000;

/** True when the event is a failure a console shows in red. */
export function isFailure(event: BootEvent): boolean {
  switch (event.kind) {
    case 'dhcp':
      return event.reply === 'NAK';
    case 'tftp':
      return event.outcome !== 'complete' && event.outcome !== 'aborted';
    case 'http':
      return event.status >= 400;
    case 'lifecycle':
      return event.change === 'refused' || (event.change === 'callback' && /^failed/.test(event.message ?? ''));
    case 'dhcp-rogue':
      return false; // a fact about the network, not a failure of the machine it answered
  }
}

/** A short name of the phase an event marks: `dhcp DISCOVER→OFFER`, `tftp pxelinux.0`, `http /vmlinuz 200`. */
export function phaseOf(event: BootEvent): string {
  switch (event.kind) {
    case 'dhcp':
      return `dhcp ${event.messageType}→${event.reply ?? 'none'}`;
    case 'tftp':
      return `tftp ${event.file}${event.outcome === 'complete' ? '' : ` ${event.outcome}`}`;
    case 'http':
      return `http ${event.path} ${event.status}`;
    case 'lifecycle':
      return `lifecycle ${event.change} ${event.from}→${event.to}`;
    case 'dhcp-rogue':
      return `other DHCP server ${event.serverId} ${event.messageType}`;
  }
}

/** What the state rule needs to know about a machine's events so far. */
export interface MachineActivity {
  /** The newest event, if any. */
  last?: BootEvent;
  /** Whether any file (TFTP or HTTP) was fetched successfully. */
  fetched: boolean;
}

/** Folds one more event (newer than the others) into the activity. */
export function addEvent(activity: MachineActivity, event: BootEvent): MachineActivity {
  const fetched = activity.fetched || (event.kind === 'tftp' && event.outcome === 'complete') || (event.kind === 'http' && event.status < 400);
  return { last: event, fetched };
}

/** The state of a machine with `activity`, known to the inventory or not, at time `now`. */
export function machineState(known: boolean, activity: MachineActivity, now: number): MachineState {
  if (!known) return 'unknown';
  const last = activity.last;
  if (last === undefined) return 'idle';
  if (isFailure(last)) return 'failed';
  if (now - last.at < BOOTING_WINDOW_MS) return 'booting';
  return activity.fetched ? 'booted' : 'idle';
}
