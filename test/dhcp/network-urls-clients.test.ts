/**
 * URLs per boot network, against real clients in network namespaces: one xenboot in a server namespace
 * with two bridges, 10.63.0.0/24 (network A, `server.address`) and 10.64.0.0/24 (network B,
 * `dhcp.networks[0]`), and a client namespace on each. busybox udhcpc on B, sending user class "iPXE"
 * (option 77), must be handed the iPXE script URL on B's address in option 67; `curl` on B fetching
 * boot.ipxe, and tftp-hpa on B fetching a rendered PXELINUX file, must get files whose URLs
 * (`server.httpUrl`) name B's address; the same names asked on A name A's.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToBridge, createBridge, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { envScript, lastEnv } from './lab.js';

const A = { server: '10.63.0.1', subnet: '10.63.0.0/24', client: '10.63.0.9' };
const B = { server: '10.64.0.1', subnet: '10.64.0.0/24', lease: /^10\.64\.0\.1[0-4]\d$/ };
const MAC = '02:00:00:64:00:21';
const URL_A = `http://${A.server}:8080`;
const URL_B = `http://${B.server}:8080`;

describe('each boot network is told URLs on its own address', () => {
  const namespaces: Namespace[] = [];
  let server: Namespace;
  let clientA: Namespace;
  let clientB: Namespace;
  let ifA: string;
  let ifB: string;
  let xenboot: RunningProcess;
  let dir: string;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'curl', 'tftp');
    server = await Namespace.create('xbnu');
    namespaces.push(server);
    clientA = await Namespace.create('xbnu');
    namespaces.push(clientA);
    clientB = await Namespace.create('xbnu');
    namespaces.push(clientB);
    ifA = await attachToBridge(server, await createBridge(server, `${A.server}/24`), clientA, `${A.client}/24`);
    const bridgeB = await createBridge(server, `${B.server}/24`);
    ifB = await attachToBridge(server, bridgeB, clientB, null);
    await clientB.ip('link', 'set', 'dev', ifB, 'address', MAC);

    dir = mkdtempSync(join(tmpdir(), 'xenboot-network-urls-'));
    mkdirSync(join(dir, 'tpl'));
    mkdirSync(join(dir, 'tftp'));
    // A custom profile whose files name the server's URL, as a site's own templates do.
    writeFileSync(join(dir, 'tpl', 'urls-ipxe.hbs'), '#!ipxe\n# {{host.label}}\nkernel {{server.httpUrl}}/linux/vmlinuz\ninitrd {{server.httpUrl}}/linux/initrd.img\nboot\n');
    writeFileSync(join(dir, 'tpl', 'urls-pxelinux.hbs'), 'DEFAULT urls\nLABEL urls\n  KERNEL {{server.httpUrl}}/linux/vmlinuz\n  APPEND initrd={{server.httpUrl}}/linux/initrd.img\n');
    const config = writeTempConfig(
      {
        server: { address: A.server },
        log: { level: 'debug', format: 'json' },
        http: { port: 8080, readAccess: 'open' },
        tftp: { port: 69, root: join(dir, 'tftp') },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        dhcp: {
          mode: 'full',
          subnet: A.subnet,
          ranges: [{ start: '10.63.0.100', end: '10.63.0.149' }],
          networks: [{ interface: bridgeB, serverAddress: B.server, subnet: B.subnet, ranges: [{ start: '10.64.0.100', end: '10.64.0.149' }] }],
        },
        inventory: {
          templateDir: 'tpl',
          profiles: [{ name: 'urls', kind: 'custom', templates: { ipxe: 'urls-ipxe', pxelinux: 'urls-pxelinux' } }],
          hosts: [{ mac: MAC, profile: 'urls' }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
  }, 60_000);

  afterAll(async () => {
    await xenboot?.stop('SIGTERM', 5_000);
    for (const ns of namespaces.reverse()) await ns.delete();
  }, 60_000);

  it('udhcpc on network B as an iPXE client (option 77 "iPXE") is handed the script URL on B\'s address in option 67', async () => {
    const { script, file } = envScript(dir, 'udhcpc-ipxe-b', true);
    // 0x4d = 77, "iPXE"; -O 67 asks for the boot file option.
    const result = await clientB.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', ifB, '-s', script, '-t', '4', '-T', '2', '-A', '1', '-x', '0x4d:69505845', '-O', '67'], { timeoutMs: 40_000 });
    expect(result.stdout + result.stderr).toMatch(/obtained from 10\.64\.0\.1/);
    const env = lastEnv(existsSync(file) ? readFileSync(file, 'utf8') : '', /EVENT=bound/);
    const script67 = `${URL_B}/boot.ipxe?mac=\${net0/mac}&uuid=\${uuid}&arch=\${buildarch}`;
    expect(env.ip).toMatch(B.lease);
    expect(env).toMatchObject({ serverid: B.server, siaddr: B.server, bootfile: script67, boot_file: script67 });
  });

  it('curl on network B fetching boot.ipxe gets a script whose URLs name B\'s address; on network A, A\'s', async () => {
    const fetch = async (ns: Namespace, base: string) => {
      const result = await ns.exec('curl', ['-sS', '-m', '10', `${base}/boot.ipxe?mac=${MAC}&arch=i386`], { timeoutMs: 20_000 });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout;
    };
    const onB = await fetch(clientB, URL_B);
    expect(onB).toContain(`kernel ${URL_B}/linux/vmlinuz\ninitrd ${URL_B}/linux/initrd.img\n`);
    expect(onB).not.toContain(A.server);
    expect(await fetch(clientA, URL_A)).toContain(`kernel ${URL_A}/linux/vmlinuz\n`);
  });

  it('tftp-hpa on network B fetching a rendered PXELINUX file gets B\'s URL; on network A, A\'s', async () => {
    const name = `pxelinux.cfg/01-${MAC.replaceAll(':', '-')}`;
    const get = async (ns: Namespace, serverAddress: string, label: string) => {
      const out = join(dir, `got-${label}`);
      const result = await ns.exec('tftp', ['-m', 'binary', serverAddress, '-c', 'get', name, out], { timeoutMs: 20_000 });
      expect(existsSync(out), result.stdout + result.stderr).toBe(true);
      return readFileSync(out, 'utf8');
    };
    const onB = await get(clientB, B.server, 'b');
    expect(onB).toContain(`KERNEL ${URL_B}/linux/vmlinuz\n  APPEND initrd=${URL_B}/linux/initrd.img\n`);
    expect(onB).not.toContain(A.server);
    expect(await get(clientA, A.server, 'a')).toContain(`KERNEL ${URL_A}/linux/vmlinuz\n`);
  });
});
