/**
 * Case 7: a real Xen toolstack boots a PV domU through xenboot-pvboot (docs/pvboot.md). QEMU (TCG,
 * `-cpu max,-smap`) netboots Xen 4.17 and a Debian dom0 from xenboot (iPXE); dom0's initramfs holds
 * Debian's Xen tools and Node.js 18 (xl-dom0-root.ts) and its `/init` (xl-dom0-init.ts) bridges its NIC
 * as `xenbr0`, fetches the single-file `xenboot-pvboot` from xenboot and the xl config that
 * `xenboot domu-config` wrote, and runs `xl create` with `bootloader = "xenboot-pvboot"`:
 * - as root: the domU's kernel and initrd come from xenboot by its vif MAC, its console shows the
 *   profile's arguments, and it takes a DHCP lease from xenboot through the bridge (read back from the
 *   API);
 * - `xl reboot` after the profile was changed through the API: the second boot has the new arguments;
 * - `LIBXL_BOOTLOADER_RESTRICT=1` (libxl passes `--runas=<xen-qemuuser-range-base + domid>`, the output
 *   directory is root's and 0600) and `LIBXL_BOOTLOADER_USER=xenboot-domu` (`--runas=2001`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands, runCommand } from '../../lab/process.js';
import { repoRoot, xenbootCommand } from '../../lab/xenboot.js';
import { ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { runGuest, tail, type GuestResult } from '../../lab/qemu/qemu.js';
import { DOMU_CMDLINE_MARKER, DOMU_LEASE_MARKER, XL_PREFIX } from './xl-dom0-init.js';
import { ensureXlAssets, writeXlInitrds, type XlAssets } from './xl-dom0-root.js';
import { apiBase, labConfig, labFiles, LAB_HTTP_PORT, startLabXenboot, waitForTimeline } from '../../lab/qemu/xenboot-lab.js';

const OCTET = 7;
const DOM0_MAC = '52:54:00:e2:07:01';
const DOMU = 'e2e-xl';
// Xen's default log levels: its own console lines share the serial port with dom0's and would cut them.
const XEN_ARGS = ['dom0_mem=768M,max:768M', 'dom0_max_vcpus=1', 'console=com1', 'com1=115200,8n1', 'noreboot'];
const DOMU_PROFILE = {
  name: 'xl-domu',
  kind: 'xen-domu',
  kernel: 'domu/vmlinuz',
  initrd: 'domu/initrd.img',
  // loglevel=3: the domU kernel's info lines would cut into the marker on its console.
  args: ['console=hvc0', 'loglevel=3', 'rdinit=/init', 'xenboot.round=1', 'hostname={{host.hostname}}'],
  memory: 192,
  vcpus: 1,
  disks: [{ target: '/dev/ram0' }],
};
const API_TOKEN = 'e2e-xl-domu-profile-token';
const ROUND2_ARGS = ['console=hvc0', 'loglevel=3', 'rdinit=/init', 'xenboot.round=2', 'hostname={{host.hostname}}', 'xenboot.changed=yes'];

/** The `XL-E2E …` lines dom0 printed, without the prefix. */
function dom0Lines(serial: string): string[] {
  return serial
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+$/, ''))
    .map((line) => line.slice(line.indexOf(`${XL_PREFIX} `) >= 0 ? line.indexOf(`${XL_PREFIX} `) + XL_PREFIX.length + 1 : line.length))
    .filter((line) => line !== '');
}

describe('e2e case 7: xl create through xenboot-pvboot under a real Xen 4.17 toolstack', () => {
  let lab: BootLab | undefined;
  let boot: BootAssets;
  let xl: XlAssets;
  let domuMac = '';
  let result: GuestResult;
  let profileChangedAt = 0;

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
    boot = await ensureBootAssets();
    xl = await ensureXlAssets(boot);
    const built = await runCommand('npm', ['run', '-s', 'build:pvboot'], { cwd: repoRoot, timeoutMs: 120_000 });
    if (built.code !== 0) throw new Error(`npm run build:pvboot failed: ${built.stderr}`);
    lab = await BootLab.create(OCTET);
    const l = lab;
    const initrds = writeXlInitrds(xl, l.workDir);
    const root = l.makeRoot('tftp', { ...labFiles(boot), 'xl/dom0-initrd.img': initrds.dom0Initrd, 'domu/vmlinuz': boot.vmlinuz, 'domu/initrd.img': initrds.domuInitrd });
    const dom0Profile = {
      name: 'xl-dom0',
      kind: 'xen-dom0',
      xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: XEN_ARGS },
      dom0: {
        kernel: 'linux/vmlinuz',
        initrds: ['xl/dom0-initrd.img'],
        args: [
          // loglevel=3: no kernel info lines (bridge, netback, blkback) cut into dom0's console lines.
          'console=hvc0', 'earlyprintk=xen', 'rdinit=/init', 'panic=10', 'loglevel=3',
          `xl.ip=${l.address(2)}/24`, `xl.server=${apiBase(l)}`, `xl.cfg=xl/${DOMU}`, `xl.name=${DOMU}`, 'xl.round2=xenboot.round=2',
        ],
      },
      root: { type: 'initramfs' },
      serial: { port: 0, baud: 115200 },
    };
    const base = labConfig(l, root, { inventory: { profiles: [dom0Profile, DOMU_PROFILE], hosts: [{ mac: DOM0_MAC, hostname: 'e2e-xl-dom0', profile: 'xl-dom0' }] } });
    const config = {
      ...base,
      // A token makes the API writable (the profile change below).
      http: { ...(base.http as Record<string, unknown>), token: API_TOKEN },
      store: { kind: 'sqlite', path: join(l.workDir, 'xenboot.db'), pollSeconds: 1 },
    };
    const configPath = l.writeFile('xenboot.json', JSON.stringify(config, null, 2));
    // The xl config, as an operator writes it: into a directory that does not exist yet.
    const [cmd, argv] = xenbootCommand('domu-config', '--config', configPath, '--profile', 'xl-domu', '--out', join(root, 'xl'), '--server', apiBase(l), DOMU);
    const written = await runCommand(cmd, argv, { timeoutMs: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    if (written.code !== 0) throw new Error(`xenboot domu-config failed: ${written.stderr}`);
    domuMac = /mac=([0-9a-f:]{17})/.exec(readFileSync(join(root, 'xl', DOMU), 'utf8'))![1]!;
    await startLabXenboot(l, config);
  }, 1_200_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('boots the domU as root, again after xl reboot with the changed profile, then restricted and as bootloader_user', async () => {
    const l = lab!;
    const serialPath = join(l.workDir, 'xl.serial.log');
    // When dom0 waits for it, change the profile's arguments through the API (the store overrides the config).
    let stop = false;
    const watcher = (async () => {
      for (let i = 0; i < 1800 && !stop; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        let serial = '';
        try {
          serial = readFileSync(serialPath, 'latin1');
        } catch {
          continue;
        }
        if (!serial.includes(`${XL_PREFIX} waiting for the profile change`)) continue;
        const put = await l.ns.exec('curl', ['-sS', '-m', '10', '-X', 'PUT', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${API_TOKEN}`, '-d', JSON.stringify({ ...DOMU_PROFILE, args: ROUND2_ARGS }), '-w', '\n%{http_code}', `${apiBase(l)}/api/v1/profiles/xl-domu`], { timeoutMs: 20_000 });
        if (!/\n20[01]$/.test(put.stdout)) throw new Error(`PUT profile failed: ${put.stdout} ${put.stderr}`);
        profileChangedAt = Date.now();
        return;
      }
    })();
    result = await runGuest(l, boot, { firmware: 'bios-ipxe', mac: DOM0_MAC, name: 'xl', memoryMiB: 2048, timeoutMs: 840_000 });
    stop = true;
    await watcher;
    const lines = dom0Lines(result.serial);
    const context = `\n${lines.slice(-80).join('\n')}\n--- serial tail ---\n${tail(result.serial, 30)}`;
    expect(result.timedOut, context).toBe(false);
    expect(lines, context).toContain('END ok');
    expect(profileChangedAt).toBeGreaterThan(0);
    // Node.js 18 from Debian runs the bundle.
    expect(lines.find((line) => line.startsWith('node '))).toMatch(/^node v18\.\d+\.\d+ xenboot-pvboot \d+ bytes$/);

    const cmdline = (label: string) => {
      const match = new RegExp(`domu ${label}: ${DOMU_CMDLINE_MARKER} cmdline=\\[([^\\]]*)\\]`).exec(result.serial);
      return match?.[1]?.trim().split(/\s+/) ?? [];
    };
    const round1 = ['console=hvc0', 'loglevel=3', 'rdinit=/init', 'xenboot.round=1', `hostname=${DOMU}`];
    const round2 = ['console=hvc0', 'loglevel=3', 'rdinit=/init', 'xenboot.round=2', `hostname=${DOMU}`, 'xenboot.changed=yes'];
    expect(cmdline('root'), context).toEqual(round1);
    expect(cmdline('reboot'), context).toEqual(round2);
    expect(cmdline('restrict'), context).toEqual(round2);
    expect(cmdline('user'), context).toEqual(round2);

    // libxl ran the bootloader de-privileged: uid xen-qemuuser-range-base (131072) + domid, then 2001.
    const runas = (label: string) => lines.filter((x) => x.startsWith(`xl ${label}: `) && /bootloader arg: --runas=/.test(x)).map((x) => Number(/--runas=(\d+)/.exec(x)![1]));
    expect(runas('root')).toEqual([]);
    expect(runas('restrict')).toHaveLength(1);
    expect(runas('restrict')[0]).toBeGreaterThan(131072);
    expect(runas('user')).toEqual([2001]);

    // Each boot took a DHCP lease from xenboot with the vif MAC through xenbr0.
    for (const label of ['root', 'reboot', 'restrict', 'user']) {
      const lease = new RegExp(`domu ${label}: ${DOMU_LEASE_MARKER} [^\\r\\n]*`).exec(result.serial)?.[0] ?? '';
      expect(lease, context).toMatch(new RegExp(`ip=10\\.205\\.${OCTET}\\.1\\d\\d mac=${domuMac} server=10\\.205\\.${OCTET}\\.1`));
    }
    const leases = await l.httpGet(`${apiBase(l)}/api/v1/leases`);
    expect(leases.status).toBe(200);
    const leased = JSON.stringify(JSON.parse(leases.body));
    expect(leased).toContain(domuMac);

    // The timeline shows pvboot's boot-spec requests and downloads for the domU's MAC.
    const events = await waitForTimeline(l, domuMac, (list) => list.filter((e) => e.kind === 'http' && String(e.path).includes('/api/v1/boot-spec/')).length >= 4);
    const specFetches = events.filter((e) => e.kind === 'http' && String(e.path).includes('/api/v1/boot-spec/') && e.status === 200);
    expect(specFetches.length, JSON.stringify(events.map((e) => [e.kind, e.path ?? e.messageType, e.status ?? e.reply]))).toBeGreaterThanOrEqual(4);
    expect(events.some((e) => e.kind === 'dhcp' && e.reply === 'ACK')).toBe(true);

    const timings = lines.filter((x) => /^marker \S+ seconds=/.test(x));
    console.log(`xl create (or xl reboot) to the domU marker, under TCG: ${timings.join('; ')}; QEMU run ${Math.round(result.durationMs / 1000)} s (port ${LAB_HTTP_PORT})`);
    // dom0's CPU features as its kernel saw them, and the userland crashes its kernel logged (lab/qemu/qemu.ts, LAB_CPU).
    console.log(`dom0 ${lines.find((x) => x.startsWith('cpu: ')) ?? 'cpu: (not printed)'}; ${lines.filter((x) => x.startsWith('crash: ')).join('; ') || 'no userland crash'}`);
  }, 900_000);
});
