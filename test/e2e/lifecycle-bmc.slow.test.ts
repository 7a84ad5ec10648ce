/**
 * The boot lifecycle end to end, through a real BMC: OpenIPMI's `ipmi_sim` is the BMC of a QEMU machine
 * (QEMU's `ipmi-bmc-extern` on a KCS interface, connected to the simulator's VM serial channel), on its
 * own namespace of the boot lab (`10.205.30.2`), reached over IPMI 2.0 LAN by Debian's `ipmitool`, which
 * xenboot runs. xenboot arms "rescue once" and, in the same request, sets the next boot to PXE and powers
 * the machine on through the BMC; the VM network-boots the rescue profile (its marker on the serial
 * console), and the rescue system calls back `done` with the signed URL from its command line. Powered
 * cycled again through the BMC, it boots its normal profile. The timeline shows both boots and every
 * lifecycle change.
 *
 * ipmi_sim answers `chassis bootdev pxe` only when a `chassis_control` program is configured (without one
 * its Set System Boot Options handler refuses boot flags: OpenIPMI lanserv/bmc_chassis.c); with one,
 * power and boot device go to that program too. The program here (`chassis-control.sh`) is this test's
 * stand-in for the board: it starts QEMU at power-on and kills it at power-off, and logs every request.
 * The VM has no disk, so its firmware boots from the network whatever the boot device: the test checks that
 * the BMC received "boot: pxe" before the power-on, not that the firmware obeyed it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands } from '../../lab/process.js';
import { DOM0_MARKER, ensureBootAssets, type BootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { tail } from '../../lab/qemu/qemu.js';
import { apiBase, fetchTimeline, labConfig, type TimelineEvent } from '../../lab/qemu/xenboot-lab.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import type { Namespace } from '../../lab/netns.js';
import type { RunningProcess } from '../../lab/process.js';
import { ensureRescueInitrd, RESCUE_MARKER } from './lifecycle-rescue-assets.js';

const MAC = '52:54:00:30:00:21';
const TOKEN = 'lifecycle-e2e-token';
const BMC_USER = 'admin';
const BMC_PASSWORD = 'bmc-Pa55-e2e';
/** The lab's octet (BootLab 30–31 belong to the lifecycle tests). */
const OCTET = 30;

/** Polls `check` every second until it returns a value or `timeoutMs` passes. */
async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('e2e: boot lifecycle through a real BMC (ipmi_sim + QEMU + ipmitool)', () => {
  let lab: BootLab | undefined;
  let assets: BootAssets;
  let bmcDir: string;
  let bmcNs: Namespace;
  let xenboot: RunningProcess | undefined;

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const args = ['-sS', '-m', '60', '-X', method, '-H', `authorization: Bearer ${TOKEN}`, '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body));
    const result = await lab!.ns.exec('curl', [...args, `${apiBase(lab!)}${path}`], { timeoutMs: 70_000 });
    const cut = result.stdout.lastIndexOf('\n');
    const text = result.stdout.slice(0, cut);
    return { status: Number(result.stdout.slice(cut + 1)), json: text === '' ? null : JSON.parse(text) };
  };
  const serial = (n: number) => {
    const path = join(bmcDir, `serial-${n}.log`);
    return existsSync(path) ? readFileSync(path, 'latin1') : '';
  };
  const chassisLog = () => (existsSync(join(bmcDir, 'chassis.log')) ? readFileSync(join(bmcDir, 'chassis.log'), 'utf8') : '');
  const qemuPid = (): number | null => {
    const path = join(bmcDir, 'qemu.pid');
    if (!existsSync(path)) return null;
    const pid = Number(readFileSync(path, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  };

  beforeAll(async () => {
    await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'ipmi_sim', 'ipmitool');
    assets = await ensureBootAssets();
    const rescueInitrd = await ensureRescueInitrd(assets);
    lab = await BootLab.create(OCTET, { netnsPrefix: 'xlc' });
    const root = lab.makeRoot('tftp', {
      'linux/vmlinuz': assets.vmlinuz,
      'linux/initrd.img': assets.initrd,
      'rescue/vmlinuz': assets.vmlinuz,
      'rescue/initrd.img': rescueInitrd,
    });
    const tap = await lab.addTap();
    const bmc = await lab.addHost(`${lab.address(2)}/24`);
    bmcNs = bmc.ns;
    bmcDir = join(lab.workDir, 'bmc');
    mkdirSync(bmcDir, { recursive: true });

    // The board behind the BMC: power on starts QEMU (in the lab namespace, on the tap), power off kills it.
    const qemu = [
      'qemu-system-x86_64', '-accel', 'tcg', '-cpu', 'max,-smap', '-m', '512', '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-machine', 'pc', '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', `e1000,netdev=n0,mac=${MAC}`,
      '-boot', 'order=n,reboot-timeout=2000',
      '-chardev', `socket,id=ipmi0,host=${lab.address(2)},port=9002,reconnect=10`, '-device', 'ipmi-bmc-extern,chardev=ipmi0,id=bmc0', '-device', 'isa-ipmi-kcs,bmc=bmc0',
    ].join(' ');
    writeFileSync(
      join(bmcDir, 'chassis-control.sh'),
      [
        '#!/bin/sh',
        '# ipmi_sim chassis_control program: <device> get|set <parameter> [value] … (OpenIPMI lanserv/ipmi_sim_chassiscontrol)',
        `dir=${bmcDir}`,
        'echo "$*" >> $dir/chassis.log',
        'shift; op=$1; shift',
        'running() { [ -f $dir/qemu.pid ] && kill -0 "$(cat $dir/qemu.pid)" 2>/dev/null; }',
        'case $op in',
        'get) for p in "$@"; do case $p in',
        '  power) if running; then echo power:1; else echo power:0; fi;;',
        '  boot) echo "boot:$(cat $dir/boot 2>/dev/null || echo default)";;',
        '  *) echo "Invalid parameter: $p"; exit 1;; esac; done;;',
        'set) while [ $# -gt 1 ]; do p=$1; v=$2; shift 2; case $p in',
        '  boot) echo "$v" > $dir/boot;;',
        '  power) if [ "$v" = 1 ]; then',
        '      if ! running; then',
        '        n=$(( $(cat $dir/boots 2>/dev/null || echo 0) + 1 )); echo $n > $dir/boots',
        '        echo "power-on $n boot=$(cat $dir/boot 2>/dev/null || echo default)" >> $dir/chassis.log',
        '        rm -f $dir/boot',
        `        ip netns exec ${lab.ns.name} ${qemu} -serial file:$dir/serial-$n.log -debugcon file:$dir/firmware-$n.log -global isa-debugcon.iobase=0x402 -pidfile $dir/qemu.pid -daemonize`,
        '      fi',
        '    else',
        '      if running; then pid=$(cat $dir/qemu.pid); kill $pid; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $pid 2>/dev/null || break; sleep 0.5; done; kill -9 $pid 2>/dev/null; fi',
        '    fi;;',
        '  reset|shutdown|identify) ;;',
        '  *) echo "Invalid parameter: $p"; exit 1;; esac; done;;',
        '*) echo "Unknown operation: $op"; exit 1;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    writeFileSync(
      join(bmcDir, 'lan.conf'),
      [
        'name "xlcbmc"',
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr ${lab.address(2)} 623`,
        '    priv_limit admin',
        '    allowed_auths_callback none md2 md5 straight',
        '    allowed_auths_user none md2 md5 straight',
        '    allowed_auths_operator none md2 md5 straight',
        '    allowed_auths_admin none md2 md5 straight',
        '    guid a123456789abcdefa123456789abcdef',
        '  endlan',
        `  chassis_control "${join(bmcDir, 'chassis-control.sh')} 0x20"`,
        `  serial 15 ${lab.address(2)} 9002 codec VM`,
        `  user 2 true "${BMC_USER}" "${BMC_PASSWORD}" admin 10 none md2 md5 straight`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(bmcDir, 'bmc.emu'), ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr', 'mc_enable 0x20', ''].join('\n'));
    const sim = bmcNs.spawn('ipmi_sim', ['-c', join(bmcDir, 'lan.conf'), '-f', join(bmcDir, 'bmc.emu'), '-n', '-s', join(bmcDir, 'state')]);
    // ipmi_sim prints nothing when it is ready: wait until its LAN port answers a session.
    await waitUntil(
      'ipmi_sim to answer on IPMI LAN',
      async () => {
        if (sim.output().includes('Unable')) throw new Error(`ipmi_sim failed: ${sim.output()}`);
        const r = await bmcNs.exec('ipmitool', ['-I', 'lanplus', '-H', lab!.address(2), '-U', BMC_USER, '-E', '-N', '1', '-R', '1', 'power', 'status'], { timeoutMs: 10_000, env: { ...process.env, IPMI_PASSWORD: BMC_PASSWORD } });
        return r.code === 0 ? true : undefined;
      },
      20_000,
    );

    const config = labConfig(lab, root, {
      inventory: {
        profiles: [
          { name: 'normal', kind: 'linux', kernel: 'linux/vmlinuz', initrds: ['linux/initrd.img'], args: ['console=ttyS0,115200', 'rdinit=/init', 'panic=10', 'xenboot.case=normal'] },
          { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: ['console=ttyS0,115200', 'rdinit=/init', 'panic=10', 'xenboot.case=rescue'] },
        ],
        hosts: [
          { mac: MAC, hostname: 'bmc-node', profile: 'normal', bmc: { protocol: 'ipmi', address: lab.address(2), credentials: 'lab-bmc' } },
          // The same BMC with a wrong password, and a BMC address where nothing answers.
          { mac: '52:54:00:30:00:22', hostname: 'wrong-password', profile: 'normal', bmc: { protocol: 'ipmi', address: lab.address(2), credentials: 'lab-bad' } },
          { mac: '52:54:00:30:00:23', hostname: 'dead-bmc', profile: 'normal', bmc: { protocol: 'ipmi', address: lab.address(3), credentials: 'lab-bmc' } },
        ],
        unknown: { boot: 'nothing' },
      },
    });
    (config.http as Record<string, unknown>).token = TOKEN;
    config.power = { timeoutSeconds: 5, retries: 1 };
    // Credentials from the environment, as an operator's unit file would give them; never in the config.
    xenboot = await startXenboot(writeTempConfig(config, lab.workDir), lab.ns, 60_000, {
      XENBOOT_BMC_LAB_BMC_USERNAME: BMC_USER,
      XENBOOT_BMC_LAB_BMC_PASSWORD: BMC_PASSWORD,
      XENBOOT_BMC_LAB_BAD_USERNAME: BMC_USER,
      XENBOOT_BMC_LAB_BAD_PASSWORD: 'not-the-password',
    });
  }, 600_000);

  afterAll(async () => {
    const pid = bmcDir ? qemuPid() : null;
    if (pid !== null) process.kill(pid, 'SIGKILL');
    await lab?.close();
  }, 60_000);

  it('rescue once through the BMC, the rescue system calls back, the next power cycle boots the normal profile', async () => {
    const l = lab!;
    const status = await api('GET', `/api/v1/hosts/${MAC}/power`);
    expect(status).toEqual({ status: 200, json: { mac: MAC, protocol: 'ipmi', state: 'off' } });

    // One request: rescue once, network boot once, power on (the machine is off).
    const armed = await api('PUT', '/api/v1/hosts/bmc-node/next-boot', { action: 'once', profile: 'rescue', power: 'cycle' });
    expect(armed.status, JSON.stringify(armed.json)).toBe(200);
    expect(armed.json).toMatchObject({ lifecycle: { state: 'pending', action: 'once: rescue' }, power: { before: 'off', did: 'network boot once, power on' } });
    expect(chassisLog()).toMatch(/set boot pxe[\s\S]*power-on 1 boot=pxe/);

    // The rescue boot: marker, callback, power off.
    await waitUntil('the rescue system to finish', () => (serial(1).includes(`${RESCUE_MARKER}-END`) ? true : undefined), 300_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(serial(1))}`);
    });
    const rescueLog = serial(1);
    expect(rescueLog).toMatch(new RegExp(`${RESCUE_MARKER} cmdline=\\[[^\\]]*xenboot\\.case=rescue[^\\]]*xenboot\\.callback=http://${l.serverIp.replace(/\./g, '\\.')}:8080/api/v1/lifecycle/callback/52-54-00-30-00-21/`));
    expect(rescueLog, tail(rescueLog)).toMatch(new RegExp(`${RESCUE_MARKER}-CALLBACK HTTP/1\\.[01] 200 OK \\{"accepted":true,"state":"idle","result":"done"\\}`));
    await waitUntil('the BMC to report power off', async () => ((await api('GET', `/api/v1/hosts/${MAC}/power`)).json?.state === 'off' ? true : undefined), 60_000);
    const afterRescue = await api('GET', `/api/v1/hosts/${MAC}/lifecycle`);
    expect(afterRescue.json).toMatchObject({ state: 'idle', callbackOpen: false, result: { outcome: 'done', message: 'rescue system up' }, nextBoot: { profile: 'normal' } });

    // Power cycle again through the BMC: the normal profile.
    const cycled = await api('POST', `/api/v1/hosts/${MAC}/power`, { action: 'cycle' });
    expect(cycled.status, JSON.stringify(cycled.json)).toBe(200);
    await waitUntil('the normal boot to finish', () => (serial(2).includes(`${DOM0_MARKER}-END`) ? true : undefined), 300_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(serial(2))}`);
    });
    expect(serial(2)).toMatch(/xenboot\.case=normal/);
    expect(serial(2)).not.toContain('xenboot.callback');
    expect(serial(2)).not.toContain(RESCUE_MARKER);
    expect(chassisLog()).toMatch(/power-on 2 boot=default/);

    // The timeline: two boots, the rescue files then the normal ones, and every lifecycle change.
    const events = await waitUntil(
      'the second boot in the timeline',
      async () => {
        const all = await fetchTimeline(l, MAC);
        return all.some((e) => e.kind === 'http' && String(e.path).startsWith('/linux/initrd.img') && e.status === 200) ? all : undefined;
      },
      30_000,
    );
    const fetched = events.filter((e: TimelineEvent) => e.kind === 'http' && e.status === 200 && /vmlinuz|initrd/.test(String(e.path))).map((e) => String(e.path));
    expect(fetched).toEqual(['/rescue/vmlinuz', '/rescue/initrd.img', '/linux/vmlinuz', '/linux/initrd.img']);
    const changes = events.filter((e) => e.kind === 'lifecycle').map((e) => `${e.change} ${e.from}->${e.to}`);
    expect(changes).toEqual(['armed idle->pending', 'booting pending->booting', 'consumed booting->idle', 'callback idle->idle']);
    const discovers = events.filter((e) => e.kind === 'dhcp' && e.messageType === 'DISCOVER');
    expect(discovers.length).toBeGreaterThanOrEqual(2);
  }, 720_000);

  it('a wrong password and a dead BMC are clear errors through ipmitool; nothing is armed; no password in the log', async () => {
    const wrong = await api('PUT', '/api/v1/hosts/wrong-password/next-boot', { action: 'once', profile: 'rescue', power: 'cycle' });
    expect(wrong.status).toBe(502);
    expect(wrong.json.message).toMatch(/nothing was armed: the BMC at 10\.205\.30\.2 refused the credentials/);
    expect((await api('GET', '/api/v1/hosts/wrong-password/lifecycle')).json).toMatchObject({ state: 'idle', version: 0 });
    const started = Date.now();
    const dead = await api('GET', '/api/v1/hosts/dead-bmc/power');
    const took = Date.now() - started;
    expect(dead.status).toBe(504);
    expect(dead.json.message).toMatch(/no answer from the BMC at 10\.205\.30\.3/);
    // power.timeoutSeconds 5, one retry: two bounded attempts.
    expect(took).toBeGreaterThan(5_000);
    expect(took).toBeLessThan(40_000);
    expect(xenboot!.output()).not.toContain(BMC_PASSWORD);
    expect(xenboot!.output()).not.toContain('not-the-password');
    expect(xenboot!.output()).toContain('boot lifecycle changed');
  }, 120_000);
});
