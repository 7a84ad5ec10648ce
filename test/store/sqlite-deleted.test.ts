/**
 * A SQLite file deleted or replaced under a running store (issue 17, item 12): SQLite itself goes on
 * writing to the unlinked inode, so the store's ping must notice and fail readiness.
 */
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';

let dir = '';
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('a SQLite file removed while open', () => {
  it('deleted: ping fails saying so, although writes still "succeed"', async () => {
    dir = mkdtempSync(join(tmpdir(), 'xenboot-deleted-'));
    const path = join(dir, 'xenboot.db');
    store = openSqliteStore(path);
    await store.ping();
    unlinkSync(path);
    // This is the trap: the write lands in the unlinked file and reports success.
    expect(await store.leases.claimLease({ mac: '02:00:00:00:00:01', ip: '10.0.0.5', state: 'bound', expiresAt: 2, updatedAt: 1 }, 1)).toBe(true);
    await expect(store.ping()).rejects.toThrow(/was deleted while open/);
  });

  it('replaced by another file: ping fails naming both inodes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'xenboot-deleted-'));
    const path = join(dir, 'xenboot.db');
    store = openSqliteStore(path);
    writeFileSync(join(dir, 'other.db'), '');
    renameSync(join(dir, 'other.db'), path);
    await expect(store.ping()).rejects.toThrow(/was replaced while open \(inode \d+ → \d+\)/);
  });
});
