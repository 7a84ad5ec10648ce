/**
 * A relayed exchange across three namespaces: client ↔ ISC dhcrelay (Debian isc-dhcp-relay, adding
 * option 82) ↔ xenboot. The subnet is chosen by giaddr, the reply goes to the relay on port 67, and
 * option 82 is echoed (dhcrelay -a drops replies without it).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { envScript, lastEnv, parseExchanges } from './lab.js';

describe('DHCP through isc-dhcp-relay', () => {
  const namespaces: Namespace[] = [];
  let server: Namespace;
  let relay: Namespace;
  let client: Namespace;
  let clientIf: string;
  let xenboot: RunningProcess;
  let relayProcess: RunningProcess;
  let dir: string;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'dhcrelay');
    server = await Namespace.create('xbd');
    namespaces.push(server);
    relay = await Namespace.create('xbd');
    namespaces.push(relay);
    client = await Namespace.create('xbd');
    namespaces.push(client);
    const [, relayUp] = await connect(server, '10.202.30.1/24', relay, '10.202.30.2/24');
    const [relayDown, clientSide] = await connect(relay, '10.202.31.1/24', client, null);
    clientIf = clientSide;
    await server.ip('route', 'add', '10.202.31.0/24', 'via', '10.202.30.2');
    dir = mkdtempSync(join(tmpdir(), 'xenboot-dhcp-relay-'));
    const config = writeTempConfig(
      {
        server: { address: '10.202.30.1' },
        log: { level: 'debug', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        dhcp: {
          mode: 'full',
          subnet: '10.202.30.0/24',
          ranges: [{ start: '10.202.30.100', end: '10.202.30.150' }],
          relaySubnets: [{ subnet: '10.202.31.0/24', ranges: [{ start: '10.202.31.100', end: '10.202.31.150' }], router: '10.202.31.1', dns: ['10.202.31.53'] }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
    relayProcess = relay.spawn('dhcrelay', ['-d', '-4', '-a', '-id', relayDown, '-iu', relayUp, '10.202.30.1']);
    await relayProcess.waitFor(/Sending on|Listening on/, 10_000);
  });

  afterAll(async () => {
    await relayProcess?.stop('SIGTERM', 3_000);
    await xenboot?.stop('SIGTERM', 3_000);
    for (const ns of namespaces.reverse()) await ns.delete();
  });

  it('gives the client an address in the relay subnet with its router and DNS, through giaddr', async () => {
    const { script, file } = envScript(dir, 'relayed');
    const result = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', clientIf, '-s', script, '-t', '4', '-T', '2', '-A', '1', '-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000'], { timeoutMs: 40_000 });
    expect(result.stderr + result.stdout + relayProcess.output()).toMatch(/lease of 10\.202\.31\.1\d\d obtained from 10\.202\.30\.1/);
    const env = lastEnv(readFileSync(file, 'utf8'), /EVENT=bound/);
    expect(env).toMatchObject({ router: '10.202.31.1', dns: '10.202.31.53', siaddr: '10.202.30.1', serverid: '10.202.30.1', boot_file: 'pxelinux.0' });
    expect(env.ip).toMatch(/^10\.202\.31\.1\d\d$/);
    const exchanges = parseExchanges(xenboot.output());
    expect(exchanges.find((e) => e.messageType === 'REQUEST' && e.reply === 'ACK')).toMatchObject({ yiaddr: env.ip });
    // The relay (which added option 82 with -a) logs each reply it forwarded to the client.
    expect(relayProcess.output()).toMatch(/Forwarded BOOTREPLY for [0-9a-f:]+ to 10\.202\.31\.1\d\d|Forwarded BOOTREPLY/);
  });
});
