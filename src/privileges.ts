/**
 * Dropping root: xenboot needs root (or CAP_NET_BIND_SERVICE) only to bind ports 67, 69 and 80; once
 * every socket is bound it runs as an unprivileged user. `setuid` from root to another user clears the
 * permitted and effective capability sets (capabilities(7), "Effect of user ID changes"), and glibc
 * applies it to every thread, the native TFTP engine's included, so nothing privileged remains.
 *
 * Before the switch the SQLite store's directory and files (database, `-wal`, `-shm`) are given to the
 * user: SQLite creates and removes files beside the database, so the directory must be writable by the
 * process. The store path should therefore be a directory of xenboot's own (`/var/lib/xenboot/`).
 */
import { accessSync, chownSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './log.js';

/** The user to switch to and the files it must own. */
export interface PrivilegeDrop {
  /** `server.user`; default `xenboot` when that user exists, else `nobody`. */
  user?: string;
  /** `server.group`; default the user's primary group. */
  group?: string;
  /** The SQLite database file, when the store is SQLite on disk. */
  sqlitePath?: string;
}

/** Thrown when the configured user or group does not exist. */
export class PrivilegeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivilegeError';
  }
}

/** `name:x:id:…` lines of /etc/passwd or /etc/group as name → [id, primary gid (passwd only)]. */
function readIds(file: string): Map<string, number[]> {
  const ids = new Map<string, number[]>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return ids;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3) ids.set(fields[0]!, fields.slice(2, 4).map(Number));
  }
  return ids;
}

/** The uid and gid a drop resolves to (user and group by name or number). */
export function resolveIds(drop: Pick<PrivilegeDrop, 'user' | 'group'>, passwd = '/etc/passwd', groups = '/etc/group'): { user: string; uid: number; gid: number } {
  const users = readIds(passwd);
  const user = drop.user ?? (users.has('xenboot') ? 'xenboot' : 'nobody');
  const entry = users.get(user) ?? (/^\d+$/.test(user) ? [Number(user), Number(user)] : undefined);
  if (!entry) throw new PrivilegeError(`server.user: no user ${JSON.stringify(user)} on this system`);
  let gid = entry[1]!;
  if (drop.group !== undefined) {
    const group = readIds(groups).get(drop.group)?.[0] ?? (/^\d+$/.test(drop.group) ? Number(drop.group) : undefined);
    if (group === undefined) throw new PrivilegeError(`server.group: no group ${JSON.stringify(drop.group)} on this system`);
    gid = group;
  }
  return { user, uid: entry[0]!, gid };
}

/**
 * Switches a root process to the unprivileged user (after every port is bound); does nothing when not
 * root. Returns the user now running, or `null` when nothing changed.
 */
export function dropPrivileges(drop: PrivilegeDrop, logger: Logger): string | null {
  if (process.getuid?.() !== 0 || !process.setuid || !process.setgid || !process.setgroups) return null;
  const { user, uid, gid } = resolveIds(drop);
  if (uid === 0) {
    logger.warn({ user }, 'server.user is root: xenboot keeps running with every privilege');
    return null;
  }
  if (drop.sqlitePath !== undefined) {
    const dir = dirname(drop.sqlitePath);
    // The directory: refuse to hand over a shared one (/, /var, /tmp, …): anyone could then replace the database.
    if (statSync(dir).mode & 0o002) throw new PrivilegeError(`${dir} is world-writable: put store.path in a directory of xenboot's own`);
    chownSync(dir, uid, gid);
    for (const file of [drop.sqlitePath, `${drop.sqlitePath}-wal`, `${drop.sqlitePath}-shm`]) if (existsSync(file)) chownSync(file, uid, gid);
  }
  process.setgroups([gid]);
  process.setgid(gid);
  process.setuid(uid);
  if (drop.sqlitePath !== undefined) {
    const dir = dirname(drop.sqlitePath);
    try {
      accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch {
      throw new PrivilegeError(`${user} cannot use ${dir} (the store's directory): every directory above it must be searchable by ${user}`);
    }
  }
  logger.info({ user, uid, gid }, `running as ${user}: root privileges dropped after binding the ports`);
  return user;
}
