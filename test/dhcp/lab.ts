/**
 * A DHCP lab in network namespaces: xenboot in a "server" namespace, clients in a "client" namespace,
 * joined by a veth pair; optionally a relay namespace in between. Nothing leaves the namespaces. The
 * server's exchange events are read from its JSON log.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Namespace } from '../../lab/netns.js';
import type { RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';

/** A DHCP exchange event as logged by the server. */
export interface LoggedExchange {
  messageType: string;
  reply: string | null;
  reason?: string;
  mac?: string;
  yiaddr?: string;
  bootFile?: string;
  arch?: number;
}

/** A running lab. */
export interface DhcpLab {
  server: Namespace;
  client: Namespace;
  clientIf: string;
  serverIf: string;
  dir: string;
  xenboot: RunningProcess;
  /** Every exchange the server logged so far. */
  exchanges(): LoggedExchange[];
  /** Sets the client interface's MAC (so one namespace can play several machines). */
  useMac(mac: string): Promise<void>;
  close(): Promise<void>;
}

/** Parses the server's JSON log lines into exchange events. */
export function parseExchanges(output: string): LoggedExchange[] {
  const events: LoggedExchange[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"kind":"dhcp"')) continue;
    try {
      events.push(JSON.parse(line) as LoggedExchange);
    } catch {
      /* a partial line */
    }
  }
  return events;
}

/** A udhcpc/dhclient/dhcpcd hook script that appends its environment to `file`, one `KEY=value` per line. */
export function envScript(dir: string, name: string, configure = false): { script: string; file: string } {
  const file = join(dir, `${name}.env`);
  const script = join(dir, `${name}.sh`);
  // udhcpc: with `configure`, the bound address is put on the interface, so a later unicast RELEASE can leave.
  const setup = configure ? '[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"\n' : '';
  writeFileSync(script, `#!/bin/sh\n{ echo "EVENT=$1"; env | sort; echo "--"; } >> ${file}\n${setup}exit 0\n`);
  chmodSync(script, 0o755);
  return { script, file };
}

/** Reads the last block of `envScript` output whose EVENT or reason matches, as a map. */
export function lastEnv(text: string, match: RegExp): Record<string, string> {
  const blocks = text.split('\n--\n').filter((b) => match.test(b));
  const block = blocks.at(-1) ?? '';
  return Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * Starts xenboot (full config `config`, server address `serverCidr`) and a client namespace on a veth;
 * namespaces are named after `prefix` (unique per test file, so parallel runs do not collide).
 */
export async function startLab(serverCidr: string, config: Record<string, unknown>, prefix = 'xbd'): Promise<DhcpLab> {
  const server = await Namespace.create(prefix);
  let client: Namespace | undefined;
  try {
    client = await Namespace.create(prefix);
    const [serverIf, clientIf] = await connect(server, serverCidr, client, null);
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-dhcp-lab-'));
    const path = writeTempConfig(
      {
        log: { level: 'debug', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        ...config,
      },
      dir,
    );
    const xenboot = await startXenboot(path, server);
    const c = client;
    return {
      server,
      client: c,
      clientIf,
      serverIf,
      dir,
      xenboot,
      exchanges: () => parseExchanges(xenboot.output()),
      useMac: async (mac) => {
        await c.ip('link', 'set', clientIf, 'down');
        await c.ip('addr', 'flush', 'dev', clientIf);
        await c.ip('link', 'set', clientIf, 'address', mac);
        await c.ip('link', 'set', clientIf, 'up');
      },
      close: async () => {
        await xenboot.stop('SIGTERM', 3_000);
        await c.delete();
        await server.delete();
      },
    };
  } catch (error) {
    await client?.delete();
    await server.delete();
    throw error;
  }
}
