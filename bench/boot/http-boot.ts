/**
 * UEFI HTTP Boot against BIOS PXELINUX, both served by xenboot, in the same run: the time from the
 * machine's first DHCPDISCOVER to the dom0 marker on its console.
 *
 *   npx tsx bench/boot/http-boot.ts [--rounds 2] [--timeline]
 *
 * HTTP Boot: OVMF with its PXE clients off (option 60 `HTTPClient`, option 93 = 16) → `ipxe.efi` over
 * HTTP (the host's `loader.httpX64`) → iPXE's script → `xen.efi` + generated `xen.cfg`, kernel and initrd
 * over HTTP. PXELINUX: SeaBIOS + QEMU's iPXE ROM → `pxelinux.0` (`dhcp.boot.ipxeScript`) → generated
 * `pxelinux.cfg/01-<mac>` → `mboot.c32` → `xen.gz`, kernel and initrd over TFTP. Same Xen (4.17), dom0
 * kernel, initramfs and arguments; the two boots alternate (HTTP, PXELINUX; PXELINUX, HTTP; …).
 *
 * DISCOVER time: the first DHCP event of the machine's timeline (xenboot stamps it as it answers). Marker
 * time: when the marker line appears in the serial log, polled every 50 ms. Also printed: DISCOVER → the
 * last file served (what the loaders take; the rest is Xen and dom0 starting), QEMU start →
 * DISCOVER (firmware start-up, not xenboot's) and QEMU start → exit; with `--timeline`, every event of
 * each boot's timeline with its time after the DISCOVER. Needs root, qemu-system-x86, ovmf,
 * ipxe-qemu and the e2e assets (fetched on first use). Lab octets 112 (HTTP) and 113 (PXELINUX).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOM0_MARKER, ensureBootAssets } from '../../lab/qemu/assets.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { dom0Hypervisor, runGuest, tail, type GuestFirmware } from '../../lab/qemu/qemu.js';
import { ensureUefiAssets } from '../../lab/qemu/uefi-assets.js';
import { dom0Profile, fetchTimeline, labConfig, labFiles, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { requireCommands } from '../../lab/process.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, timeline: { type: 'boolean', default: false } } });

type Path = 'http-boot' | 'pxelinux';

interface Boot {
  /** First DHCPDISCOVER → dom0 marker. */
  discoverToMarker: number;
  /** First DHCPDISCOVER → the last file served (the loaders' part; the rest is Xen and dom0 starting). */
  discoverToLastFile: number;
  /** QEMU start → first DHCPDISCOVER. */
  firmware: number;
  /** QEMU start → QEMU exit. */
  total: number;
}

const MACS: Record<Path, string> = { 'http-boot': '52:54:00:be:70:01', pxelinux: '52:54:00:be:71:01' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Resolves with the time the marker first appears in `path`, polling until `stop()` is called. */
function watchForMarker(path: string): { seen: Promise<number | null>; stop: () => void } {
  let stopped = false;
  const seen = new Promise<number | null>((resolve) => {
    const poll = () => {
      if (stopped) return resolve(null);
      if (existsSync(path) && readFileSync(path, 'latin1').includes(`${DOM0_MARKER} hypervisor=`)) return resolve(Date.now());
      setTimeout(poll, 50);
    };
    poll();
  });
  return { seen, stop: () => void (stopped = true) };
}

async function bootOnce(path: Path, round: number): Promise<Boot> {
  const assets = await ensureBootAssets();
  const uefi = await ensureUefiAssets();
  const lab = await BootLab.create(path === 'http-boot' ? 112 : 113);
  const mac = MACS[path];
  try {
    const root = lab.makeRoot('tftp', { ...labFiles(assets), 'ipxe.efi': uefi.ipxeEfi, 'xen/xen.efi': uefi.xenEfi });
    const profile = dom0Profile('bench', 'bench');
    (profile.xen as Record<string, unknown>).efi = 'xen/xen.efi';
    const host: Record<string, unknown> = { mac, profile: 'bench' };
    if (path === 'http-boot') host.loader = { httpX64: { family: 'ipxe' } };
    const config = labConfig(lab, root, {
      inventory: { profiles: [profile], hosts: [host] },
      ...(path === 'pxelinux' ? { dhcpBoot: { ipxeScript: 'pxelinux.0' } } : {}),
    });
    (config.log as { level: string }).level = 'info';
    await startLabXenboot(lab, config);

    const name = `${path}-${round}`;
    const firmware: GuestFirmware = path === 'http-boot' ? 'uefi-http' : 'bios-ipxe';
    const watch = watchForMarker(join(lab.workDir, `${name}.serial.log`));
    const started = Date.now();
    const result = await runGuest(lab, assets, { firmware, mac, name, timeoutMs: 600_000 });
    watch.stop();
    const markerAt = await watch.seen;
    if (result.timedOut || markerAt === null || dom0Hypervisor(result.serial, DOM0_MARKER) !== 'xen') {
      throw new Error(`${path} boot ${round} failed:\n${tail(result.serial, 30)}`);
    }
    const events = await fetchTimeline(lab, mac);
    const discover = events.find((e) => e.kind === 'dhcp' && e.messageType === 'DISCOVER');
    if (discover === undefined) throw new Error(`${path} boot ${round}: no DISCOVER in the timeline`);
    const discoverAt = Number(discover.at);
    if (values.timeline) {
      for (const e of events) {
        const what = e.kind === 'dhcp' ? `${e.messageType} → ${e.reply ?? 'none'}` : `${e.file ?? e.path} ${e.outcome ?? e.status}`;
        console.log(`  ${path} +${((Number(e.at) - discoverAt) / 1000).toFixed(1)} s ${e.kind} ${what}`);
      }
      console.log(`  ${path} +${((markerAt - discoverAt) / 1000).toFixed(1)} s dom0 marker`);
    }
    const files = events.filter((e) => e.kind === 'tftp' || e.kind === 'http');
    const lastFileAt = Math.max(...files.map((e) => Number(e.at)));
    return { discoverToMarker: (markerAt - discoverAt) / 1000, discoverToLastFile: (lastFileAt - discoverAt) / 1000, firmware: (discoverAt - started) / 1000, total: result.durationMs / 1000 };
  } finally {
    await lab.close();
  }
}

async function main(): Promise<void> {
  await requireCommands('ip', 'qemu-system-x86_64', 'ethtool', 'curl', 'apt-get', 'grub-mkimage');
  const boots: Record<Path, Boot[]> = { 'http-boot': [], pxelinux: [] };
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    const order: Path[] = round % 2 === 1 ? ['http-boot', 'pxelinux'] : ['pxelinux', 'http-boot'];
    for (const path of order) {
      const boot = await bootOnce(path, round);
      boots[path].push(boot);
      console.log(`round ${round} ${path}: DISCOVER → marker ${boot.discoverToMarker.toFixed(1)} s (DISCOVER → last file ${boot.discoverToLastFile.toFixed(1)} s, QEMU start → DISCOVER ${boot.firmware.toFixed(1)} s, QEMU start → exit ${boot.total.toFixed(1)} s)`);
    }
  }
  const row = (path: Path) => {
    const b = boots[path];
    const list = b.map((x) => x.discoverToMarker.toFixed(1)).join(', ');
    return `| ${path} | ${b.length} | ${median(b.map((x) => x.discoverToMarker)).toFixed(1)} | ${list} | ${median(b.map((x) => x.discoverToLastFile)).toFixed(1)} | ${median(b.map((x) => x.firmware)).toFixed(1)} | ${median(b.map((x) => x.total)).toFixed(1)} |`;
  };
  console.log('\n| path | boots | DISCOVER → marker, median s | all s | DISCOVER → last file, median s | QEMU start → DISCOVER, median s | QEMU start → exit, median s |');
  console.log('|---|---:|---:|---|---:|---:|---:|');
  console.log(row('http-boot'));
  console.log(row('pxelinux'));
  const ratio = median(boots['http-boot'].map((x) => x.discoverToMarker)) / median(boots.pxelinux.map((x) => x.discoverToMarker));
  console.log(`\nratio HTTP Boot ÷ PXELINUX (DISCOVER → dom0 marker, medians): ${ratio.toFixed(3)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
