/**
 * Real-boot timing: QEMU BIOS (iPXE ROM) → PXELINUX → mboot.c32 → Xen → dom0 marker, served once by
 * dnsmasq and once by xenboot from the same files, alternating, in the same run.
 *
 *   npx tsx bench/storm/qemu-boot.ts [--rounds 2]
 *
 * dnsmasq gets a hand-written pxelinux.cfg/01-<mac> identical to what xenboot generates for the profile,
 * so both guests run the same boot. Prints each boot's time (QEMU start → QEMU exit after dom0 powered
 * off) and the ratio of the medians.
 */
import { parseArgs } from 'node:util';
import { DOM0_MARKER, ensureBootAssets } from '../../lab/qemu/assets.js';
import { startDnsmasq } from '../../lab/qemu/dnsmasq.js';
import { BootLab } from '../../lab/qemu/boot-lab.js';
import { dom0Hypervisor, runGuest, tail } from '../../lab/qemu/qemu.js';
import { DOM0_ARGS, XEN_ARGS, dom0Profile, labConfig, labFiles, startLabXenboot } from '../../lab/qemu/xenboot-lab.js';
import { requireCommands } from '../../lab/process.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });

const MAC = '52:54:00:be:00:01';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function bootOnce(server: 'dnsmasq' | 'xenboot', round: number): Promise<number> {
  const assets = await ensureBootAssets();
  const lab = await BootLab.create(server === 'dnsmasq' ? 110 : 111);
  try {
    const pxelinuxCfg = [
      'SERIAL 0 115200',
      'DEFAULT xen',
      'PROMPT 0',
      'TIMEOUT 10',
      'LABEL xen',
      '  KERNEL mboot.c32',
      `  APPEND xen/xen.gz ${XEN_ARGS.join(' ')} --- linux/vmlinuz ${[...DOM0_ARGS, 'xenboot.case=bench', 'BOOTIF=01-52-54-00-be-00-01'].join(' ')} --- linux/initrd.img`,
      '',
    ].join('\n');
    if (server === 'dnsmasq') {
      const root = lab.makeRoot('tftp', labFiles(assets), { 'pxelinux.cfg/01-52-54-00-be-00-01': pxelinuxCfg });
      await startDnsmasq(lab, { tftpRoot: root, bootFile: 'pxelinux.0' });
    } else {
      const root = lab.makeRoot('tftp', labFiles(assets));
      const config = labConfig(lab, root, {
        inventory: { profiles: [dom0Profile('bench', 'bench')], hosts: [{ mac: MAC, profile: 'bench' }] },
        dhcpBoot: { ipxeScript: 'pxelinux.0' },
      });
      (config.log as { level: string }).level = 'info';
      await startLabXenboot(lab, config);
    }
    const result = await runGuest(lab, assets, { firmware: 'bios-ipxe', mac: MAC, name: `${server}-${round}`, timeoutMs: 400_000 });
    if (result.timedOut || dom0Hypervisor(result.serial, DOM0_MARKER) !== 'xen') {
      throw new Error(`${server} boot ${round} failed:\n${tail(result.serial, 30)}`);
    }
    return result.durationMs / 1000;
  } finally {
    await lab.close();
  }
}

async function main(): Promise<void> {
  await requireCommands('ip', 'qemu-system-x86_64', 'dnsmasq', 'ethtool', 'apt-get', 'grub-mkimage');
  const times: Record<'dnsmasq' | 'xenboot', number[]> = { dnsmasq: [], xenboot: [] };
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    for (const server of ['dnsmasq', 'xenboot'] as const) {
      const seconds = await bootOnce(server, round);
      times[server].push(seconds);
      console.log(`round ${round} ${server}: ${seconds.toFixed(1)} s`);
    }
  }
  const d = median(times.dnsmasq);
  const x = median(times.xenboot);
  console.log(`\n| server | boots | median s | all s |\n|---|---:|---:|---|`);
  console.log(`| dnsmasq | ${times.dnsmasq.length} | ${d.toFixed(1)} | ${times.dnsmasq.map((t) => t.toFixed(1)).join(', ')} |`);
  console.log(`| xenboot | ${times.xenboot.length} | ${x.toFixed(1)} | ${times.xenboot.map((t) => t.toFixed(1)).join(', ')} |`);
  console.log(`\nratio xenboot ÷ dnsmasq (median): ${(x / d).toFixed(3)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
