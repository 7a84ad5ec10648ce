/**
 * The lifecycle state machine (src/lifecycle/state.ts), input by input with a fake clock: every row of
 * the table in docs/lifecycle.md, replays, interrupted boots.
 */
import { describe, expect, it } from 'vitest';
import { idleRecord, transition, type EvidenceGroups, type LifecycleInput, type LifecycleRecord } from '../../src/lifecycle/state.js';

const MAC = '52:54:00:30:00:01';
const EVIDENCE: EvidenceGroups = [['rescue/vmlinuz'], ['rescue/initrd.img']];

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  tick(ms = 1000): number {
    this.t += ms;
    return this.t;
  }
}

/** Applies inputs in order, each a second after the last; returns every record and the change names. */
function run(inputs: LifecycleInput[], start: LifecycleRecord = idleRecord(MAC, 0), clock = new FakeClock()) {
  let record = start;
  const changes: string[] = [];
  for (const input of inputs) {
    const result = transition(record, input, clock.tick());
    if (result.next !== null) {
      expect(result.next.version).toBe(record.version + 1);
      expect(result.next.updatedAt).toBe(clock.t);
      record = result.next;
      changes.push(`${result.change.change}:${result.change.from}->${result.change.to}`);
    } else changes.push('refused' in result ? `refused:${result.refused}` : 'ignored');
  }
  return { record, changes };
}

const armOnce: LifecycleInput = { kind: 'arm', action: { kind: 'once', profile: 'rescue' }, bootId: 'b1', by: 'api' };
const armReinstall: LifecycleInput = { kind: 'arm', action: { kind: 'reinstall', profile: 'installer' }, bootId: 'b2', by: 'cli:root' };
const kernel = (complete = true): LifecycleInput => ({ kind: 'fetch', file: '/rescue/vmlinuz', complete, evidence: EVIDENCE });
const initrd = (complete = true): LifecycleInput => ({ kind: 'fetch', file: 'rescue/initrd.img', complete, evidence: EVIDENCE });

describe('lifecycle state machine', () => {
  it('once: pending → booting → idle when kernel and initrd are fetched to the end; the callback is then accepted once', () => {
    const { record, changes } = run([armOnce, kernel(), initrd(), { kind: 'callback', bootId: 'b1', status: 'done', message: 'rescued' }, { kind: 'callback', bootId: 'b1', status: 'done' }]);
    expect(changes).toEqual(['armed:idle->pending', 'booting:pending->booting', 'consumed:booting->idle', 'callback:idle->idle', 'refused:replay']);
    expect(record.state).toBe('idle');
    expect(record.result).toMatchObject({ outcome: 'done', message: 'rescued', bootId: 'b1' });
    expect(record.callbackOpen).toBe(false);
  });

  it('once: the callback alone consumes it too (before any evidence)', () => {
    const { record, changes } = run([armOnce, { kind: 'callback', bootId: 'b1', status: 'failed', message: 'no disk' }]);
    expect(changes).toEqual(['armed:idle->pending', 'callback:pending->idle']);
    expect(record.result).toMatchObject({ outcome: 'failed', message: 'no disk' });
    expect(record.action).toBeUndefined();
  });

  it('an interrupted boot keeps the action: a broken-off initrd and a new DISCOVER start the evidence afresh', () => {
    const { record, changes } = run([armOnce, kernel(), initrd(false), { kind: 'attempt' }, initrd(), kernel()]);
    expect(changes).toEqual(['armed:idle->pending', 'booting:pending->booting', 'ignored', 'attempt:booting->pending', 'booting:pending->booting', 'consumed:booting->idle']);
    expect(record.state).toBe('idle');
    expect(record.attempts).toBe(1);
  });

  it('kernel fetched in one attempt and initrd in the next is not one boot', () => {
    const { record } = run([armOnce, kernel(), { kind: 'attempt' }, initrd()]);
    expect(record.state).toBe('booting');
    expect(record.fetched).toEqual(['rescue/initrd.img']);
  });

  it('a DISCOVER before any evidence (the ROM, then iPXE) changes nothing', () => {
    const { changes } = run([armOnce, { kind: 'attempt' }, { kind: 'attempt' }]);
    expect(changes).toEqual(['armed:idle->pending', 'ignored', 'ignored']);
  });

  it('a broken-off first file marks the boot as started', () => {
    const { record, changes } = run([armOnce, kernel(false)]);
    expect(changes).toEqual(['armed:idle->pending', 'booting:pending->booting']);
    expect(record.fetched).toEqual([]);
  });

  it('files outside the evidence change nothing', () => {
    const { changes } = run([armOnce, { kind: 'fetch', file: 'pxelinux.0', complete: true, evidence: EVIDENCE }]);
    expect(changes).toEqual(['armed:idle->pending', 'ignored']);
  });

  it('a profile without evidence (custom) is consumed by its callback only', () => {
    const { record, changes } = run([armOnce, { kind: 'fetch', file: 'rescue/vmlinuz', complete: true, evidence: [] }, { kind: 'callback', bootId: 'b1', status: 'done' }]);
    expect(changes).toEqual(['armed:idle->pending', 'ignored', 'callback:pending->idle']);
    expect(record.state).toBe('idle');
  });

  it('reinstall: evidence makes it booted and it keeps its profile until the installer calls back done', () => {
    const evidence: EvidenceGroups = [['inst/linux'], ['inst/initrd.gz']];
    const { record, changes } = run([
      armReinstall,
      { kind: 'fetch', file: 'inst/linux', complete: true, evidence },
      { kind: 'fetch', file: 'inst/initrd.gz', complete: true, evidence },
      { kind: 'attempt' },
      { kind: 'fetch', file: 'inst/linux', complete: true, evidence },
      { kind: 'callback', bootId: 'b2', status: 'done', message: 'installed' },
    ]);
    expect(changes).toEqual(['armed:idle->pending', 'booting:pending->booting', 'booted:booting->booted', 'ignored', 'ignored', 'callback:booted->idle']);
    expect(record.result).toMatchObject({ outcome: 'done', message: 'installed' });
  });

  it('disabled stays until cleared, takes no callback and ignores evidence', () => {
    const { record, changes } = run([
      { kind: 'arm', action: { kind: 'disabled' }, bootId: 'b3', by: 'api' },
      kernel(),
      { kind: 'attempt' },
      { kind: 'callback', bootId: 'b3', status: 'done' },
      { kind: 'clear', by: 'api' },
      { kind: 'clear', by: 'api' },
    ]);
    expect(changes).toEqual(['armed:idle->disabled', 'ignored', 'ignored', 'refused:no-action', 'cleared:disabled->idle', 'ignored']);
    expect(record.state).toBe('idle');
    expect(record.result).toMatchObject({ outcome: 'cleared' });
  });

  it('a new action replaces the old one, and the old boot callback is refused as stale', () => {
    const first = run([armOnce, kernel()]);
    const { record, changes } = run([armReinstall, { kind: 'callback', bootId: 'b1', status: 'done' }], first.record);
    expect(changes).toEqual(['armed:booting->pending', 'refused:stale']);
    expect(record.action).toEqual({ kind: 'reinstall', profile: 'installer' });
    expect(record.fetched).toEqual([]);
    expect(record.result).toMatchObject({ outcome: 'replaced', bootId: 'b1' });
  });

  it('clearing closes the boot: its callback is a replay afterwards', () => {
    const { changes } = run([armOnce, { kind: 'clear', by: 'api' }, { kind: 'callback', bootId: 'b1', status: 'done' }]);
    expect(changes).toEqual(['armed:idle->pending', 'cleared:pending->idle', 'refused:replay']);
  });

  it('a host that never had an action refuses callbacks', () => {
    expect(run([{ kind: 'callback', bootId: 'b1', status: 'done' }]).changes).toEqual(['refused:no-action']);
  });

  it('evidence after the once boot was consumed changes nothing (a second instance seeing the same boot)', () => {
    const { changes } = run([armOnce, kernel(), initrd(), kernel(), initrd()]);
    expect(changes.slice(3)).toEqual(['ignored', 'ignored']);
  });
});
