/**
 * Started as root, xenboot binds DHCP 67, TFTP 69 and HTTP 80, then runs as `nobody` with no capability
 * left (issue 17, privileges): checked in /proc/<pid>/status, and DHCP, TFTP (native engine where built),
 * HTTP and the SQLite store keep working from a client namespace.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envScript, lastEnv, startLab, type DhcpLab } from '../dhcp/lab.js';
import { isRoot } from '../../lab/netns.js';
import { requireCommands } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';

/** `Uid:`, `Gid:`, `CapEff:`… lines of /proc/<pid>/status as name → value. */
function procStatus(pid: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

describe.runIf(isRoot())('privileges dropped after binding', () => {
  let lab: DhcpLab;
  let storeDir = '';
  const SERVER = '10.202.60.1';

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'curl');
    // The TFTP root and the store's directory must be reachable by nobody: not under the 0700 test temp dir.
    const base = join('/tmp', `xenboot-priv-${process.pid}`);
    const root = join(base, 'tftproot');
    mkdirSync(root, { recursive: true });
    mkdirSync(join(base, 'store'), { recursive: true, mode: 0o700 });
    chmodSync(base, 0o755);
    chmodSync(root, 0o755);
    storeDir = join(base, 'store');
    writeFileSync(join(root, 'hello.txt'), 'hello from the TFTP root\n');
    lab = await startLab(`${SERVER}/24`, {
      server: { address: SERVER, user: 'nobody' },
      dhcp: { mode: 'full', subnet: '10.202.60.0/24', ranges: [{ start: '10.202.60.100', end: '10.202.60.150' }] },
      tftp: { enabled: true, root, port: 69 },
      http: { enabled: true, port: 80 },
      log: { level: 'info', format: 'json' },
      store: { kind: 'sqlite', path: join(base, 'store', 'xenboot.db') },
    });
    await lab.client.ip('addr', 'add', '10.202.60.2/24', 'dev', lab.clientIf);
  });

  afterAll(async () => {
    await lab?.close();
    rmSync(join('/tmp', `xenboot-priv-${process.pid}`), { recursive: true, force: true });
  });

  it('runs as nobody with no effective, permitted or ambient capability', () => {
    const status = procStatus(lab.xenboot.pid);
    expect(status.Uid).toBe('65534\t65534\t65534\t65534');
    expect(status.Gid).toBe('65534\t65534\t65534\t65534');
    expect(status.Groups).toBe('65534');
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapPrm).toBe('0000000000000000');
    expect(status.CapAmb).toBe('0000000000000000');
    expect(lab.xenboot.output()).toMatch(/running as nobody/);
    // The native UDP engine, where it is built, keeps serving after the switch (checked by the TFTP fetch below).
    if (existsSync(join(repoRoot, 'native', 'build', 'Release'))) expect(lab.xenboot.output()).toMatch(/TFTP transfers use the native UDP engine/);
    // The store's directory was handed over, so SQLite can create its journal files.
    expect(statSync(storeDir).uid).toBe(65534);
    expect(statSync(join(storeDir, 'xenboot.db')).uid).toBe(65534);
  });

  it('still answers DHCP (lease written to SQLite), TFTP and HTTP', async () => {
    const { script, file } = envScript(lab.dir, 'priv');
    const dhcp = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', lab.clientIf, '-s', script, '-t', '5', '-T', '1'], { timeoutMs: 30_000 });
    expect(dhcp.stderr).toMatch(/lease of 10\.202\.60\.\d+ obtained/);
    expect(lastEnv(readFileSync(file, 'utf8'), /EVENT=bound/).ip).toMatch(/^10\.202\.60\.1\d\d$/);
    const tftp = await lab.client.exec('curl', ['-sS', '--max-time', '10', `tftp://${SERVER}/hello.txt`], { timeoutMs: 20_000 });
    expect(tftp.stdout).toContain('hello from the TFTP root');
    const http = await lab.client.exec('curl', ['-sS', '--max-time', '10', `http://${SERVER}/hello.txt`], { timeoutMs: 20_000 });
    expect(http.stdout).toContain('hello from the TFTP root');
    const ready = await lab.client.exec('curl', ['-sS', '--max-time', '10', `http://${SERVER}/readyz`], { timeoutMs: 20_000 });
    expect(JSON.parse(ready.stdout), ready.stdout).toMatchObject({ status: 'ready', store: 'sqlite' });
    expect(lab.xenboot.output()).not.toMatch(/STORE FAILING|SQLITE_READONLY|EACCES/);
  });
});
