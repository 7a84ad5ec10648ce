/**
 * Claims leases in a SQLite store and reports each one as soon as `claimLease` resolved, then waits to be
 * killed. argv: dbPath count
 */
import { openSqliteStore } from '../../src/store/sqlite-store.js';

const [path, count] = process.argv.slice(2);
const store = openSqliteStore(path!);
const now = Date.now();
for (let i = 0; i < Number(count); i += 1) {
  const ip = `10.204.3.${i + 1}`;
  await store.leases.claimLease({ mac: `02:00:00:00:03:${(i + 1).toString(16).padStart(2, '0')}`, ip, state: 'bound', expiresAt: now + 60_000, updatedAt: now }, now);
  process.stdout.write(`claimed ${ip}\n`);
}
// Stay alive, store open, until the test kills the process.
setInterval(() => {}, 1_000);
