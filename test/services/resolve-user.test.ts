/**
 * Which user a root xenboot switches to: `server.user`/`server.group` when set, else `xenboot` when that
 * user exists, else `nobody`; unknown names are a start-up error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrivilegeError, resolveIds } from '../../src/privileges.js';

const dir = mkdtempSync(join(tmpdir(), 'xenboot-users-'));
const passwd = (extra: string) => {
  const path = join(dir, `passwd-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${extra}`);
  return path;
};
const group = join(dir, 'group');
writeFileSync(group, 'root:x:0:\nnogroup:x:65534:\nxenboot:x:998:\nnetboot:x:1200:\n');

describe('the user a root xenboot runs as', () => {
  it('is xenboot when that user exists, nobody otherwise', () => {
    expect(resolveIds({}, passwd('xenboot:x:998:998::/var/lib/xenboot:/usr/sbin/nologin\n'), group)).toEqual({ user: 'xenboot', uid: 998, gid: 998 });
    expect(resolveIds({}, passwd(''), group)).toEqual({ user: 'nobody', uid: 65534, gid: 65534 });
  });

  it('follows server.user and server.group, by name or number', () => {
    expect(resolveIds({ user: 'nobody', group: 'netboot' }, passwd(''), group)).toEqual({ user: 'nobody', uid: 65534, gid: 1200 });
    expect(resolveIds({ user: '4321', group: '4321' }, passwd(''), group)).toEqual({ user: '4321', uid: 4321, gid: 4321 });
  });

  it('refuses a user or group that does not exist', () => {
    expect(() => resolveIds({ user: 'ghost' }, passwd(''), group)).toThrow(PrivilegeError);
    expect(() => resolveIds({ user: 'nobody', group: 'ghosts' }, passwd(''), group)).toThrow(/server\.group/);
  });
});
