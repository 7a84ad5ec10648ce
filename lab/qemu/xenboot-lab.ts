/**
 * xenboot inside a boot lab: the config every case shares (full DHCP on the lab's /24, TFTP from a root
 * of hard-linked Debian assets, HTTP on the bridge address, memory store), the standard Xen dom0 profile,
 * and readers for what an operator would check afterwards: the machine's timeline from the API and the
 * Prometheus counters at `/metrics`.
 */
import type { RunningProcess } from '../process.js';
import { startXenboot, writeTempConfig } from '../xenboot.js';
import type { BootAssets } from './assets.js';
import type { BootLab } from './boot-lab.js';

/** HTTP port xenboot listens on inside every lab. */
export const LAB_HTTP_PORT = 8080;

/** Xen arguments every dom0 case uses: serial console, and `noreboot` so QEMU exits after dom0 powers off. */
export const XEN_ARGS = ['dom0_mem=512M,max:512M', 'dom0_max_vcpus=1', 'console=com1', 'com1=115200,8n1', 'loglvl=all', 'noreboot'];

/** dom0 arguments every case uses; each case adds its own `xenboot.case=<name>` token to prove they arrive. */
export const DOM0_ARGS = ['console=hvc0', 'earlyprintk=xen', 'rdinit=/init', 'panic=10'];

/** The files of the asset set under the names the profiles use. */
export function labFiles(assets: BootAssets): Record<string, string> {
  return {
    'pxelinux.0': assets.pxelinux,
    'ldlinux.c32': assets.ldlinux,
    'mboot.c32': assets.mboot,
    'libcom32.c32': assets.libcom32,
    'libutil.c32': assets.libutil,
    'menu.c32': assets.menu,
    'xen/xen.gz': assets.xenGz,
    'xen/xen': assets.xen,
    'linux/vmlinuz': assets.vmlinuz,
    'linux/initrd.img': assets.initrd,
    'grubx64.efi': assets.grubEfi,
  };
}

/** A `xen-dom0` profile booting the asset set's Xen, kernel and marker initramfs. */
export function dom0Profile(name: string, caseToken: string): Record<string, unknown> {
  return {
    name,
    kind: 'xen-dom0',
    xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: XEN_ARGS },
    dom0: { kernel: 'linux/vmlinuz', args: [...DOM0_ARGS, `xenboot.case=${caseToken}`], initrds: ['linux/initrd.img'] },
    root: { type: 'initramfs' },
    serial: { port: 0, baud: 115200 },
  };
}

/** Everything but the inventory and DHCP boot-file choices, for a lab. */
export function labConfig(lab: BootLab, tftpRoot: string, parts: { inventory: unknown; dhcpBoot?: Record<string, string> }): Record<string, unknown> {
  return {
    server: { address: lab.serverIp },
    log: { level: 'debug', format: 'json' },
    store: { kind: 'memory' },
    http: { address: lab.serverIp, port: LAB_HTTP_PORT, readAccess: 'open' },
    tftp: { root: tftpRoot, port: 69 },
    dhcp: {
      mode: 'full',
      subnet: `${lab.subnet}.0/24`,
      ranges: [{ start: lab.address(100), end: lab.address(199) }],
      router: lab.serverIp,
      boot: parts.dhcpBoot ?? {},
    },
    inventory: parts.inventory,
  };
}

/** Starts xenboot in the lab's namespace (stopped by PID when the lab closes). */
export function startLabXenboot(lab: BootLab, config: Record<string, unknown>): Promise<RunningProcess> {
  return startXenboot(writeTempConfig(config, lab.workDir), lab.ns, 60_000);
}

/** Base URL of xenboot's HTTP API in a lab. */
export function apiBase(lab: BootLab): string {
  return `http://${lab.serverIp}:${LAB_HTTP_PORT}`;
}

/** A timeline event, loosely typed: the fields the e2e assertions read. */
export interface TimelineEvent {
  kind: string;
  file?: string;
  path?: string;
  outcome?: string;
  messageType?: string;
  reply?: string | null;
  status?: number;
  bootFile?: string;
  [key: string]: unknown;
}

/** The machine's timeline from `GET /api/v1/machines/:mac/timeline` (events oldest first). */
export async function fetchTimeline(lab: BootLab, mac: string): Promise<TimelineEvent[]> {
  const response = await lab.httpGet(`${apiBase(lab)}/api/v1/machines/${encodeURIComponent(mac)}/timeline`);
  if (response.status !== 200) throw new Error(`timeline of ${mac}: HTTP ${response.status}: ${response.body.slice(0, 500)}`);
  const body = JSON.parse(response.body) as unknown;
  const events = Array.isArray(body) ? body : (body as { events?: unknown }).events;
  if (!Array.isArray(events)) throw new Error(`timeline of ${mac} is not a list of events: ${response.body.slice(0, 500)}`);
  return events as TimelineEvent[];
}

/**
 * Polls the timeline until `ready(events)` holds (events are stored as transfers end, a moment after the
 * client saw its last packet) or `timeoutMs` passes; returns the last timeline read either way.
 */
export async function waitForTimeline(lab: BootLab, mac: string, ready: (events: TimelineEvent[]) => boolean, timeoutMs = 10_000): Promise<TimelineEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await fetchTimeline(lab, mac);
    if (ready(events) || Date.now() >= deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Parses Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const metrics = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = line.match(/^(\S+?(?:\{[^}]*\})?)\s+(\S+)/);
    if (match) metrics.set(match[1]!, Number(match[2]));
  }
  return metrics;
}

/** Sum of every series of `name` whose labels contain all `labels` (`key="value"` pairs). */
export function metricSum(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, value] of metrics) {
    const base = series.replace(/\{.*$/, '');
    if (base !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

/** `GET /metrics`, parsed. */
export async function fetchMetrics(lab: BootLab): Promise<Map<string, number>> {
  const response = await lab.httpGet(`${apiBase(lab)}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics: HTTP ${response.status}`);
  return parseMetrics(response.body);
}
