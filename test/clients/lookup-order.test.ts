/**
 * The generated files against real TFTP clients: curl (as PXELINUX would: blksize 1408, tsize) walks
 * PXELINUX's and GRUB's lookup orders against a `xenboot serve` child on 127.0.0.1, stopping at the first
 * name found, as the clients do; GRUB's leading `/` and pypxeboot's upper-case MACs are sent as is.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grubCandidates } from '../../src/boot/loaders/grub.js';
import { pxelinuxCandidates } from '../../src/boot/loaders/pxelinux.js';
import { requireCommands, runCommand, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { tftpyGet } from '../../lab/clients/tftpy-client.js';

let proc: RunningProcess;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), 'xenboot-lookup-'));

beforeAll(async () => {
  await requireCommands('curl');
  const config = {
    server: { address: '127.0.0.1' },
    log: { format: 'json', level: 'info' },
    store: { kind: 'memory' },
    http: { enabled: false },
    tftp: { port: 0, root: join(dir, 'root') },
    inventory: {
      profiles: [
        { name: 'xen', kind: 'xen-dom0', xen: { image: 'xen.gz', uncompressed: 'xen', args: ['dom0_mem=512M'] }, dom0: { kernel: 'vmlinuz', args: [], initrds: ['initrd.img'] } },
        { name: 'disk', kind: 'localboot' },
      ],
      hosts: [
        { mac: '52:54:00:12:34:56', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', ip: '10.99.0.123', profile: 'xen' },
        { mac: '52:54:00:ab:cd:02', ip: '10.99.0.124', profile: 'disk' },
        { mac: '52:54:00:00:00:03' },
      ],
    },
  };
  proc = await startXenboot(writeTempConfig(config, dir));
  const match = proc.output().match(/"protocol":"tftp","address":"127\.0\.0\.1","port":(\d+)/);
  if (!match) throw new Error(`no tftp endpoint:\n${proc.output()}`);
  port = Number(match[1]);
}, 60_000);

afterAll(async () => {
  await proc?.stop();
});

/** Fetches with curl as PXELINUX asks (blksize 1408); `null` when the server said "not found". */
async function fetchName(name: string): Promise<string | null> {
  const out = join(dir, 'out');
  const result = await runCommand('curl', ['-sS', '--max-time', '20', '--tftp-blksize', '1408', '-o', out, `tftp://127.0.0.1:${port}/${name}`], { timeoutMs: 30_000 });
  if (result.code === 0) return readFileSync(out, 'utf8');
  // curl exit 68: TFTP "file not found" (ERROR 1).
  expect(result.code, result.stderr).toBe(68);
  return null;
}

/** Walks names in order until one is found, as PXELINUX and GRUB do. */
async function walk(names: string[]): Promise<{ tried: string[]; text: string | null }> {
  const tried: string[] = [];
  for (const name of names) {
    tried.push(name);
    const text = await fetchName(name);
    if (text !== null) return { tried, text };
  }
  return { tried, text: null };
}

describe('PXELINUX lookup order over TFTP (curl)', () => {
  it('the UUID as option 97 carries it (first three fields swapped) is the first name and is found', async () => {
    const { tried, text } = await walk(pxelinuxCandidates({ mac: '52:54:00:12:34:56', wireUuid: '085994b8-a6d6-a941-611d-74a6ab80b83d', ip: '10.99.0.123' }));
    expect(tried).toEqual(['pxelinux.cfg/085994b8-a6d6-a941-611d-74a6ab80b83d']);
    expect(text).toContain('KERNEL mboot.c32');
  });

  it('the canonical UUID finds the same host; a MAC name matches in any case', async () => {
    expect(await fetchName('pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d')).toContain('BOOTIF=01-52-54-00-12-34-56');
    expect(await fetchName('pxelinux.cfg/01-52-54-00-AB-CD-02')).toContain('LOCALBOOT 0');
  });

  it('a host without UUID is found at 01-<mac>, its hex IP serves it too', async () => {
    const { tried, text } = await walk(pxelinuxCandidates({ mac: '52:54:00:ab:cd:02', ip: '10.99.0.124' }));
    expect(tried).toEqual(['pxelinux.cfg/01-52-54-00-ab-cd-02']);
    expect(text).toContain('LOCALBOOT 0');
    expect(await fetchName('pxelinux.cfg/0A63007C')).toContain('LOCALBOOT 0');
  });

  it('a host without profile and an unknown machine get "not found" for every name, down to default', async () => {
    for (const mac of ['52:54:00:00:00:03', '52:54:00:99:99:99']) {
      const names = pxelinuxCandidates({ mac, ip: '10.99.0.200' });
      const { tried, text } = await walk(names);
      expect(text).toBeNull();
      expect(tried).toEqual(names);
      expect(tried).toHaveLength(10);
    }
  });
});

describe('GRUB lookup order over TFTP', () => {
  it('per-MAC first; the leading "/" GRUB sends is accepted', async () => {
    const { tried, text } = await walk(grubCandidates('52:54:00:12:34:56', '10.99.0.123'));
    expect(tried).toEqual(['grub/grub.cfg-01-52-54-00-12-34-56']);
    expect(text).toContain('multiboot2 /xen.gz dom0_mem=512M');
    const slashed = (await tftpyGet('/grub/grub.cfg-01-52-54-00-12-34-56', { host: '127.0.0.1', port })).toString();
    expect(slashed).toBe(text);
  });

  it('an unknown machine falls through the hex names to the dispatcher', async () => {
    const { tried, text } = await walk(grubCandidates('52:54:00:99:99:99', '10.99.0.200'));
    expect(tried.at(-1)).toBe('grub/grub.cfg');
    expect(tried).toHaveLength(10);
    expect(text).toContain('configfile /grub/grub.cfg-01-$net_default_mac');
  });

  it('the name the dispatcher builds from $net_default_mac (colons) finds the host', async () => {
    const viaDispatcher = (await tftpyGet('/grub/grub.cfg-01-52:54:00:12:34:56', { host: '127.0.0.1', port })).toString();
    expect(viaDispatcher).toContain('module2 /vmlinuz');
  });
});
