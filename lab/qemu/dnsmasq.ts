/**
 * dnsmasq as the reference DHCP/TFTP server (boot-protocols.md §8): run in the foreground inside a lab,
 * with no config file and DNS off, stopped by PID when the lab closes.
 */
import type { RunningProcess } from '../process.js';
import type { BootLab } from './boot-lab.js';

/** What the reference server hands out. */
export interface DnsmasqOptions {
  /** TFTP root directory. */
  tftpRoot: string;
  /** DHCP boot file name (option 67 and `file`), e.g. `pxelinux.0`. */
  bootFile: string;
  /** First and last host number of the pool inside the lab's /24. */
  poolFirst?: number;
  poolLast?: number;
  /** Extra dnsmasq arguments. */
  extra?: string[];
  /** Log every DHCP exchange to the process output (costs time in a storm). */
  logDhcp?: boolean;
}

/** Starts dnsmasq on the lab bridge and waits until it is listening. */
export async function startDnsmasq(lab: BootLab, options: DnsmasqOptions): Promise<RunningProcess> {
  const first = lab.address(options.poolFirst ?? 100);
  const last = lab.address(options.poolLast ?? 200);
  const args = [
    '--no-daemon',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${lab.bridge}`,
    '--bind-interfaces',
    `--dhcp-range=${first},${last},255.255.255.0,1h`,
    `--dhcp-leasefile=${lab.workDir}/dnsmasq.leases`,
    `--pid-file=`,
    `--dhcp-boot=${options.bootFile},,${lab.serverIp}`,
    '--dhcp-broadcast',
    '--dhcp-authoritative',
    '--enable-tftp',
    `--tftp-root=${options.tftpRoot}`,
    '--tftp-no-fail',
    '--log-facility=-',
    ...(options.logDhcp === false ? [] : ['--log-dhcp']),
    ...(options.extra ?? []),
  ];
  const proc = lab.ns.spawn('dnsmasq', args);
  await proc.waitFor(/TFTP root is|started, version/, 15_000);
  return proc;
}

/**
 * The site's own DHCP server beside xenboot in proxy mode: dnsmasq on a second host of the lab (`.2`)
 * handing addresses `.150`–`.159` only (no boot file, no TFTP), logging every exchange. Returns that host's
 * interface and the process; both go when the lab closes.
 */
export async function startSiteDhcp(lab: BootLab): Promise<{ iface: string; dnsmasq: RunningProcess }> {
  const site = await lab.addHost(`${lab.address(2)}/24`);
  const dnsmasq = site.ns.spawn('dnsmasq', [
    '--no-daemon',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${site.iface}`,
    '--bind-interfaces',
    `--dhcp-range=${lab.address(150)},${lab.address(159)},255.255.255.0,1h`,
    `--dhcp-leasefile=${lab.workDir}/site.leases`,
    '--pid-file=',
    '--dhcp-broadcast',
    '--dhcp-authoritative',
    '--log-facility=-',
    '--log-dhcp',
  ]);
  await dnsmasq.waitFor(/started, version/, 15_000);
  return { iface: site.iface, dnsmasq };
}
