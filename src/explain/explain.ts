/**
 * `explain`: for one machine, in order, the host and groups matched and why, the profile, the DHCP reply
 * fields, and every file the client will ask for with what each returns (the rendered text, "not
 * found", or the refusal). Which client boots the machine and which names it asks are the loader
 * families' (`boot/loaders/`): the first family that claims the machine walks its names here. The CLI
 * prints it as text; the API serves the same object as JSON.
 */
import { answerGeneratedPath, type GeneratedFilesContext } from '../boot/generated-files.js';
import { hostForMachine } from '../inventory/snapshot.js';
import type { Inventory } from '../inventory/snapshot.js';
import { explainingLoader } from '../boot/loaders/index.js';
import { chosenLoader } from '../boot/loader-choice.js';
import { tftpySizeWarnings } from '../boot/pypxeboot-audit.js';
import type { AskedFile, ExplainSubject } from '../boot/loaders/types.js';
import type { Booter, DhcpBootAnswer, Firmware, Machine } from '../boot/machine.js';
import { networkUrlFor, type NetworkUrl } from '../boot/public-urls.js';
import type { BootRenderer } from '../boot/render.js';
import { isIpv4 } from '../net/ipv4.js';
import { parseMac } from '../net/mac.js';
import { parseUuid } from '../net/uuid.js';

/** What explain is asked about (the fields a DHCP request would carry). */
export interface ExplainQuery {
  mac: string;
  uuid?: string;
  arch?: number;
  ip?: string;
  userClass?: string;
}

/** One file the client asks for, and the answer. */
export interface ExplainedFile {
  path: string;
  via: 'tftp' | 'http';
  result: 'text' | 'not-found' | 'refused' | 'static';
  why: string;
  text?: string;
}

/** The explain answer (also the JSON of `GET /api/v1/explain`). */
export interface Explanation {
  machine: { mac: string; uuid?: string; arch?: number; firmware: Firmware; isIpxe: boolean; ip?: string };
  /** The loader family that boots the machine (`pxelinux`, `ipxe`, `grub`, `pypxeboot`: a registry id). */
  client: string;
  host: null | { mac: string; matchedBy: 'mac' | 'uuid'; hostname?: string; ip?: string; uuid?: string; labels: Record<string, string> };
  groups: Array<{ name: string; selector: Record<string, string>; profile?: string; selected: boolean }>;
  profile: null | { name: string; kind: string; source: string };
  reason: string;
  dhcp: (DhcpBootAnswer & { yiaddr?: string }) | null;
  files: ExplainedFile[];
  /** What would go wrong later although every file answers (a file too large for pypxeboot's tftpy). */
  warnings: string[];
}

/** What explain needs from the running service (or from the config, for the CLI). */
export interface ExplainDeps {
  inventory: Inventory;
  renderer: BootRenderer;
  /** The DHCP decision (inventory Booter); `null` when DHCP is off. */
  booter: Booter | null;
  /** PXELINUX/GRUB/iPXE TFTP server address. */
  serverAddress: string;
  publicUrl: string;
  /** The boot networks' own public URLs: a machine whose `ip` is in one of their subnets is told its URL. */
  networkUrls?: readonly NetworkUrl[];
  firmwareFromArch: (arch: number | undefined) => Firmware;
  macForIp?: (ip: string) => Promise<string | null>;
  /** A path's size in the TFTP root (null when absent), for the pypxeboot file-size warning. */
  fileSize?: (path: string) => Promise<number | null>;
}

/** Thrown for a query that does not name a machine. */
export class ExplainQueryError extends Error {}

/** Builds the explanation. */
export async function explainMachine(query: ExplainQuery, deps: ExplainDeps): Promise<Explanation> {
  const mac = parseMac(query.mac);
  if (mac === null) throw new ExplainQueryError(`${query.mac} is not a MAC address`);
  if (query.uuid !== undefined && parseUuid(query.uuid) === null) throw new ExplainQueryError(`${query.uuid} is not a UUID`);
  if (query.ip !== undefined && !isIpv4(query.ip)) throw new ExplainQueryError(`${query.ip} is not an IPv4 address`);
  const isIpxe = query.userClass === 'iPXE';
  const firmware = deps.firmwareFromArch(query.arch);
  const machine: Machine = { mac, firmware, isIpxe, isPxe: query.arch !== undefined };
  if (query.uuid !== undefined) machine.uuid = query.uuid;
  if (query.arch !== undefined) machine.arch = query.arch;
  if (query.userClass !== undefined) machine.userClass = query.userClass;
  if (query.ip !== undefined) machine.ip = query.ip;
  // The client's network, by its address, picks the URLs it is told (as DHCP does by where a request arrives).
  const network = networkUrlFor(deps.networkUrls ?? [], query.ip);
  if (network !== undefined) machine.serverAddress = network.serverAddress;
  const publicUrl = network?.url ?? deps.publicUrl;

  const inventory = deps.inventory;
  const host = hostForMachine(inventory, machine);
  const unknownProfile = inventory.unknownProfile();
  let reason: string;
  let profile: Explanation['profile'] = null;
  if (host?.profile) {
    const from = host.profileSource;
    const source = from.from === 'group' ? `group "${from.group}"` : from.from === 'next-boot' ? 'next boot' : 'host';
    profile = { name: host.profile.name, kind: host.profile.kind, source };
    reason =
      from.from === 'group'
        ? `no profile on the host; group "${from.group}" is the most specific matching group with a profile`
        : from.from === 'next-boot'
          ? `the host's next boot: ${from.reason}`
          : 'the host names its profile';
  } else if (host) {
    reason = 'the host has no profile and no matching group gives one: nothing to boot';
  } else if (unknownProfile) {
    profile = { name: unknownProfile.name, kind: unknownProfile.kind, source: 'unknown-machine policy' };
    reason = `not in the inventory: unknown machines get ${inventory.unknown.boot === 'localboot' ? 'localboot' : `profile "${unknownProfile.name}"`}`;
  } else {
    reason = 'not in the inventory, and unknown machines get nothing (inventory.unknown.boot: nothing)';
  }

  const dhcpAnswer = deps.booter?.dhcpAnswer(machine) ?? null;
  const reserved = deps.booter?.reservedIp(mac) ?? host?.ip;
  const dhcp = dhcpAnswer === null ? null : { ...dhcpAnswer, ...(reserved !== undefined ? { yiaddr: reserved } : {}) };
  const ip = query.ip ?? reserved;
  const own = isIpxe ? null : chosenLoader(host, host ? host.profile : unknownProfile, firmware, publicUrl);

  const subject: ExplainSubject = {
    mac,
    firmware,
    isIpxe,
    host: host ? { ...(host.profile ? { profileKind: host.profile.kind } : {}), ...(host.uuid !== undefined ? { uuid: host.uuid } : {}) } : null,
    ...(query.arch !== undefined ? { arch: query.arch } : {}),
    ...(query.uuid !== undefined ? { uuid: query.uuid } : {}),
    ...(ip !== undefined ? { ip } : {}),
    ...(own !== null ? { chosenFamily: own.family } : {}),
    ...(own?.config !== undefined ? { vendorConfig: own.config } : {}),
  };
  const loader = explainingLoader(subject);
  const client = loader.id;
  const ctx = (via: 'tftp' | 'http'): GeneratedFilesContext => ({
    inventory,
    renderer: deps.renderer,
    ipxeBase: via === 'http' ? publicUrl : `tftp://${deps.serverAddress}`,
    publicUrl,
    ...(ip !== undefined ? { clientIp: ip } : {}),
    ...(deps.macForIp ? { macForIp: deps.macForIp } : {}),
  });
  const files: ExplainedFile[] = [];
  // Asks as the client does: each name in turn until one is not "not found" (static files never stop it).
  const ask = async (paths: readonly string[], via: 'tftp' | 'http'): Promise<AskedFile | undefined> => {
    for (const path of paths) {
      const answer = await answerGeneratedPath(path, ctx(via));
      if (answer === null) {
        files.push({ path, via, result: 'static', why: 'not generated: served from the TFTP root if the file exists' });
        continue;
      }
      files.push({ path, via, result: answer.kind, why: answer.why, ...(answer.kind === 'text' ? { text: answer.text } : {}) });
      if (answer.kind !== 'not-found') break;
    }
    return files.at(-1);
  };
  await loader.explain?.walk(subject, { ask });

  const booted = host ? host.profile : unknownProfile;
  const warnings = booted && loader.id === 'pypxeboot' && deps.fileSize ? await tftpySizeWarnings(booted, deps.fileSize) : [];

  const explained: Explanation = {
    machine: { mac, firmware, isIpxe, ...(query.uuid !== undefined ? { uuid: query.uuid } : {}), ...(query.arch !== undefined ? { arch: query.arch } : {}), ...(ip !== undefined ? { ip } : {}) },
    client,
    host: host
      ? {
          mac: host.mac,
          matchedBy: inventory.hostByMac(mac) ? 'mac' : 'uuid',
          labels: host.labels,
          ...(host.hostname !== undefined ? { hostname: host.hostname } : {}),
          ...(host.ip !== undefined ? { ip: host.ip } : {}),
          ...(host.uuid !== undefined ? { uuid: host.uuid } : {}),
        }
      : null,
    groups: (host?.groups ?? []).map((g) => ({
      name: g.name,
      selector: g.selector,
      ...(g.profile !== undefined ? { profile: g.profile } : {}),
      selected: host?.profileSource.from === 'group' && host.profileSource.group === g.name,
    })),
    profile,
    reason,
    dhcp,
    files,
    warnings,
  };
  return explained;
}

/** Renders an explanation as the text `xenboot explain` prints. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const m = e.machine;
  lines.push(`machine   ${m.mac}${m.uuid ? ` uuid ${m.uuid}` : ''} firmware ${m.firmware}${m.arch !== undefined ? ` (arch ${m.arch})` : ''}${m.isIpxe ? ' iPXE' : ''} → boots as ${e.client}`);
  if (e.host) {
    const h = e.host;
    const labels = Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(',');
    lines.push(`host      ${h.mac} (matched by ${h.matchedBy})${h.hostname ? ` hostname ${h.hostname}` : ''}${h.ip ? ` ip ${h.ip}` : ''}${labels ? ` labels ${labels}` : ''}`);
  } else lines.push('host      not in the inventory');
  if (e.groups.length === 0) lines.push('groups    none match');
  for (const g of e.groups) {
    const selector = Object.entries(g.selector).map(([k, v]) => `${k}=${v}`).join(',') || '(every host)';
    lines.push(`group     ${g.name} [${selector}]${g.profile ? ` profile ${g.profile}` : ''}${g.selected ? '  ← selected' : ''}`);
  }
  lines.push(`profile   ${e.profile ? `${e.profile.name} (${e.profile.kind}) from ${e.profile.source}` : 'none'}`);
  lines.push(`why       ${e.reason}`);
  if (e.dhcp) {
    const d = e.dhcp;
    const fields = [
      d.yiaddr ? `yiaddr ${d.yiaddr}` : 'yiaddr from the pool',
      `file ${d.bootFile}${d.bootFileRule ? ` (by ${d.bootFileRule})` : ''}`,
      d.nextServer ? `siaddr ${d.nextServer}` : null,
      d.hostname ? `hostname ${d.hostname}` : null,
      d.pxelinuxConfigFile ? `209 ${d.pxelinuxConfigFile}` : null,
      d.pxelinuxPathPrefix ? `210 ${d.pxelinuxPathPrefix}` : null,
    ].filter(Boolean);
    lines.push(`dhcp      ${fields.join(', ')}`);
  } else lines.push('dhcp      no boot answer');
  lines.push('files');
  for (const f of e.files) {
    lines.push(`  ${f.via} ${f.path}: ${f.result === 'text' ? 'rendered' : f.result}  (${f.why})`);
    if (f.text !== undefined) for (const line of f.text.replace(/\n$/, '').split('\n')) lines.push(`      | ${line}`);
  }
  for (const warning of e.warnings) lines.push(`warning   ${warning}`);
  return `${lines.join('\n')}\n`;
}
