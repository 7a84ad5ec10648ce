/**
 * One simulated BIOS PXE → PXELINUX client, doing on the wire what the real one does
 * (boot-protocols.md §2.3): DHCP DORA, the NBP at blksize 1432 (iPXE ROM), then ldlinux.c32 and the
 * config lookups in PXELINUX order (UUID with the first three fields byte-swapped, 01-<mac>, hex IP
 * shortened one digit at a time, default) at blksize 1408 with tsize, then mboot.c32, libcom32.c32 and the
 * three boot files. In the HTTP variant the boot files come over HTTP (as lpxelinux.0 fetches them).
 */
import type { DhcpStormSocket } from './dhcp-client.js';
import { tftpReadWithProgram, type BulkTftpWait } from '../../lab/clients/tftp-get.js';
import { tftpRead } from './tftp-client.js';

/** One client's identity and what it fetches at the end. */
export interface StormClientSpec {
  index: number;
  mac: Buffer;
  uuid: Buffer;
  /** Boot files fetched after mboot.c32/libcom32.c32, in mboot.c32's order. */
  bootFiles: string[];
  /** When set, boot files are fetched from this base URL instead of TFTP. */
  httpBase?: string;
  /** When set, boot files are fetched over TFTP by this program (lab/clients/tftp-get.c), one process each. */
  bulkTftpProgram?: string;
  /** How that program waits for each packet (tftp-get.c's last argument). */
  bulkTftpWait?: BulkTftpWait;
}

/** What happened to one client. */
export interface StormClientResult {
  index: number;
  ok: boolean;
  durationMs: number;
  dhcpMs: number;
  bytes: number;
  tftpRequests: number;
  retransmits: number;
  /** Retransmissions per file name (config lookups count under their name), where there were any. */
  retransmitsByFile: Record<string, number>;
  error?: string;
}

function hex(bytes: Buffer): string {
  return bytes.toString('hex');
}

/** PXELINUX's UUID file name: the wire bytes of option 97 in canonical 8-4-4-4-12 layout, lowercase. */
function uuidName(uuid: Buffer): string {
  const h = hex(uuid);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The config names PXELINUX tries, in order. */
export function pxelinuxConfigNames(mac: Buffer, uuid: Buffer, ip: string): string[] {
  const names = [`pxelinux.cfg/${uuidName(uuid)}`, `pxelinux.cfg/01-${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('-')}`];
  const hexIp = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('').toUpperCase();
  for (let length = 8; length >= 1; length -= 1) names.push(`pxelinux.cfg/${hexIp.slice(0, length)}`);
  names.push('pxelinux.cfg/default');
  return names;
}

async function httpFetch(url: string): Promise<number> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Uint8Array).length;
  return bytes;
}

/** Runs one client to the end; never rejects. */
export async function runPxelinuxClient(dhcp: DhcpStormSocket, spec: StormClientSpec): Promise<StormClientResult> {
  const started = Date.now();
  const result: StormClientResult = { index: spec.index, ok: false, durationMs: 0, dhcpMs: 0, bytes: 0, tftpRequests: 0, retransmits: 0, retransmitsByFile: {} };
  try {
    const lease = await dhcp.lease({ mac: spec.mac, uuid: spec.uuid, xid: (0x5e000000 + spec.index) >>> 0 });
    result.dhcpMs = Date.now() - started;
    const read = async (file: string, blksize: number, mustExist = true, program?: string, wait?: BulkTftpWait) => {
      const options = { server: lease.nextServer, localAddress: lease.ip, file, blksize };
      const r = await (program ? tftpReadWithProgram(program, options, wait) : tftpRead(options));
      result.tftpRequests += 1;
      result.bytes += r.bytes;
      result.retransmits += r.retransmits;
      if (r.retransmits > 0) result.retransmitsByFile[file] = (result.retransmitsByFile[file] ?? 0) + r.retransmits;
      if (mustExist && !r.found) throw new Error(`${file}: ${r.error}`);
      if (r.found && r.tsize !== undefined && r.tsize !== r.bytes) throw new Error(`${file}: tsize ${r.tsize} but ${r.bytes} bytes received`);
      return r.found;
    };
    await read(lease.bootFile, 1432);
    await read('ldlinux.c32', 1408);
    let config: string | undefined;
    for (const name of pxelinuxConfigNames(spec.mac, spec.uuid, lease.ip)) {
      if (await read(name, 1408, false)) {
        config = name;
        break;
      }
    }
    if (!config) throw new Error('no pxelinux.cfg file found');
    await read('mboot.c32', 1408);
    await read('libcom32.c32', 1408);
    for (const file of spec.bootFiles) {
      if (spec.httpBase) result.bytes += await httpFetch(`${spec.httpBase}/${file}`);
      else await read(file, 1408, true, spec.bulkTftpProgram, spec.bulkTftpWait);
    }
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  result.durationMs = Date.now() - started;
  return result;
}
