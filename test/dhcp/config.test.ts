import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load.js';
import { checkDhcpConfig } from '../../src/dhcp/config-checks.js';

const problems = (dhcp: Record<string, unknown>) => {
  const result = buildConfig({ server: { address: '10.202.7.1' }, dhcp }, { baseDir: '/tmp' });
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('dhcp config checks', () => {
  it('accepts a full-mode config and fills defaults', () => {
    const result = buildConfig({ dhcp: { mode: 'full', subnet: '10.202.7.0/24', ranges: [{ start: '10.202.7.10', end: '10.202.7.20' }] } }, { baseDir: '/tmp' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.dhcp).toMatchObject({ port: 67, leaseTime: 3600, offerHold: 30, allowUnknown: true, boot: { bios: 'pxelinux.0', efiX64: 'grubnetx64.efi' }, rateLimit: { perSecond: 10, burst: 20 } });
  });

  it('reports every cross-field problem at once, with path and value', () => {
    const found = problems({
      mode: 'full',
      subnet: '10.202.7.0/24',
      ranges: [{ start: '10.202.7.50', end: '10.202.7.40' }, { start: '10.202.7.10', end: '10.202.8.5' }, { start: '10.202.7.0', end: '10.202.7.9' }],
      reservations: [
        { mac: '02:00:00:00:00:01', ip: '10.202.7.5' },
        { mac: '02-00-00-00-00-01', ip: '10.202.9.5' },
        { mac: '02:00:00:00:00:03', ip: '10.202.7.5' },
      ],
      options: [{ code: 54, type: 'ip', value: '1.2.3.4' }, { code: 150, type: 'ip', value: 'nope' }],
      relaySubnets: [{ subnet: '10.202.7.128/25', ranges: [] }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'dhcp.ranges[0]: start 10.202.7.50 is after end 10.202.7.40',
        'dhcp.ranges[1].end: 10.202.8.5 is outside subnet 10.202.7.0/24',
        'dhcp.ranges[2].start: 10.202.7.0 is the network or broadcast address of 10.202.7.0/24',
        'dhcp.reservations[1].mac: 02-00-00-00-00-01 is already reserved in dhcp.reservations[0]',
        'dhcp.reservations[1].ip: 10.202.9.5 is outside every configured subnet',
        'dhcp.reservations[2].ip: 10.202.7.5 is already reserved in dhcp.reservations[0]',
        'dhcp.options[0].code: option 54 is set by the server and cannot be set here: the server identifier is server.address',
        'dhcp.options[1].value: option 150 of type ip needs an IPv4 address (got "nope")',
        'dhcp.relaySubnets[0].subnet: 10.202.7.128/25 overlaps dhcp.subnet 10.202.7.0/24',
      ]),
    );
  });

  it('full mode needs a subnet and a range; schema errors name the key', () => {
    expect(problems({ mode: 'full' })).toEqual(['dhcp.subnet: full mode needs a subnet', 'dhcp.ranges: full mode needs at least one range or reservation']);
    expect(problems({ mode: 'full', subnet: '10.202.7.0/33' })).toEqual(['dhcp.subnet: 10.202.7.0/33 is not a network in a.b.c.d/n form']);
    expect(problems({ mode: 'proxy' })).toEqual([]);
  });

  it('dhcp.networks: every problem at once (overlaps, ranges, addresses outside their subnet or on no interface, shared interfaces)', () => {
    const result = buildConfig(
      {
        server: { address: '127.0.0.1' },
        dhcp: {
          mode: 'full',
          subnet: '10.209.0.0/24',
          ranges: [{ start: '10.209.0.10', end: '10.209.0.20' }],
          networks: [
            { serverAddress: '10.210.0.1', subnet: '10.210.0.0/24', ranges: [{ start: '10.210.0.10', end: '10.210.1.5' }], interface: 'br1' },
            { serverAddress: '10.209.0.1', subnet: '10.209.0.128/25', ranges: [] },
            { serverAddress: '10.210.5.1', subnet: '10.210.4.0/24', ranges: [], interface: 'br2' },
            { serverAddress: '10.210.0.1', subnet: '10.210.6.0/24', ranges: [], interface: 'br1' },
          ],
          reservations: [{ mac: '02:00:00:00:00:01', ip: '10.210.5.1' }],
        },
      },
      { baseDir: '/tmp' },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const schemaLevel = result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(schemaLevel).toEqual(
      expect.arrayContaining([
        'dhcp.networks[0].ranges[0].end: 10.210.1.5 is outside subnet 10.210.0.0/24',
        'dhcp.networks[1].subnet: 10.209.0.128/25 overlaps dhcp.subnet 10.209.0.0/24',
        'dhcp.networks[1].serverAddress: 10.209.0.1 is outside subnet 10.209.0.128/25',
        'dhcp.networks[2].serverAddress: 10.210.5.1 is outside subnet 10.210.4.0/24',
        'dhcp.networks[3].serverAddress: 10.210.0.1 is already the address of dhcp.networks[0]',
        'dhcp.reservations[0].ip: 10.210.5.1 is outside every configured subnet',
      ]),
    );
    // The interface rules, against a host given here rather than the machine running the test.
    const host = new Map([
      ['lo', ['127.0.0.1']],
      ['br0', ['10.209.0.1']],
      ['br1', ['10.210.0.1']],
      ['br2', []],
    ]);
    const base = buildConfig({ dhcp: { mode: 'full', subnet: '10.209.0.0/24', ranges: [{ start: '10.209.0.10', end: '10.209.0.20' }] } }, { baseDir: '/tmp' });
    if (!base.ok) throw new Error('the base config is valid');
    const dhcp = {
      ...base.config.dhcp,
      networks: [
        { serverAddress: '10.210.0.1', subnet: '10.210.0.0/24', ranges: [], dns: [], ntp: [], interface: 'br1' },
        { serverAddress: '10.211.0.1', subnet: '10.211.0.0/24', ranges: [], dns: [], ntp: [] },
        { serverAddress: '10.212.0.1', subnet: '10.212.0.0/24', ranges: [], dns: [], ntp: [], interface: 'br2' },
        { serverAddress: '10.213.0.1', subnet: '10.213.0.0/24', ranges: [], dns: [], ntp: [], interface: 'eth9' },
        { serverAddress: '10.214.0.1', subnet: '10.214.0.0/24', ranges: [], dns: [], ntp: [], interface: 'br0' },
      ],
    };
    const interfaceProblems = checkDhcpConfig(dhcp as never, '10.209.0.1', host).map((p) => `${p.path}: ${p.message}`);
    expect(interfaceProblems).toEqual([
      'dhcp.networks[1].serverAddress: 10.211.0.1 is not an address of any interface of this host',
      'dhcp.networks[2].serverAddress: 10.212.0.1 is not an address of interface br2 (it has no IPv4 address)',
      'dhcp.networks[3].interface: this host has no interface eth9 with an address (it has lo, br0, br1, br2)',
      'dhcp.networks[4].serverAddress: 10.214.0.1 is not an address of interface br0 (it has 10.209.0.1)',
      'dhcp.networks[4]: interface br0 already carries the network of server.address: one network per interface',
    ]);
  });

  it('dhcp.networks: TFTP and HTTP listen on every server address unless told otherwise', () => {
    const networks = [{ serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', ranges: [] }];
    const result = buildConfig({ server: { address: '10.202.7.1' }, dhcp: { mode: 'off', networks } }, { baseDir: '/tmp' });
    // 127.0.0.1 is on lo on every machine; 10.202.7.1 is server.address and is not checked against interfaces.
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.tftp.addresses).toEqual(['10.202.7.1', '127.0.0.1']);
    expect(result.config.http.addresses).toEqual(['10.202.7.1', '127.0.0.1']);
    const pinned = buildConfig({ server: { address: '10.202.7.1' }, http: { address: '0.0.0.0' }, tftp: { addresses: ['10.202.7.1'] }, dhcp: { mode: 'off', networks } }, { baseDir: '/tmp' });
    expect(pinned.ok && [pinned.config.tftp.addresses, pinned.config.http.addresses]).toEqual([['10.202.7.1'], ['0.0.0.0']]);
  });

  it('dhcp.networks: each network is told a URL on its own address unless it names one', () => {
    const networks = [{ serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', ranges: [] }];
    const build = (http: Record<string, unknown>, list: Array<Record<string, unknown>> = networks) => {
      const result = buildConfig({ server: { address: '10.202.7.1' }, http, dhcp: { mode: 'off', networks: list } }, { baseDir: '/tmp' });
      if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
      return result.config.http;
    };
    expect(build({})).toMatchObject({ publicUrl: 'http://10.202.7.1:8080', networkUrls: [{ serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', url: 'http://127.0.0.1:8080' }] });
    // An explicit http.publicUrl is the URL of server.address's network and of everything else; a network keeps its own.
    expect(build({ publicUrl: 'https://boot.example/', port: 8081 })).toMatchObject({ publicUrl: 'https://boot.example', networkUrls: [{ url: 'http://127.0.0.1:8081' }] });
    expect(build({}, [{ ...networks[0], publicUrl: 'https://boot-b.example:8443/' }]).networkUrls[0]!.url).toBe('https://boot-b.example:8443');
    // HTTP pinned to one address does not listen on the network's: its clients get the one URL.
    expect(build({ address: '10.202.7.1' }).networkUrls[0]!.url).toBe('http://10.202.7.1:8080');
    expect(build({ address: '0.0.0.0' }).networkUrls[0]!.url).toBe('http://127.0.0.1:8080');
  });

  it('dhcp.networks[].publicUrl: checked like http.publicUrl, every problem at once', () => {
    const long = `http://${'b'.repeat(230)}.example`;
    const result = buildConfig(
      {
        server: { address: '10.202.7.1' },
        dhcp: {
          mode: 'off',
          reservations: [{ mac: '02:00:00:00:00:01', ip: '10.9.9.9' }],
          networks: [
            { serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', ranges: [], publicUrl: long },
          ],
        },
        inventory: { profiles: [{ name: 'local', kind: 'localboot', loader: { httpX64: { family: 'grub', file: 'grub/grubx64.efi' } } }] },
      },
      { baseDir: '/tmp' },
    );
    const found = result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'dhcp.reservations[0].ip: 10.9.9.9 is outside every configured subnet',
        expect.stringMatching(/^dhcp\.networks\[0\]\.publicUrl: the default iPXE script URL built from it: boot file is 30\d bytes; option 67 holds at most 255/),
      ]),
    );
    // The UEFI HTTP boot path fits on http.publicUrl (short) but not on the second network's URL.
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^inventory\.profiles\[0\]\.loader\.httpX64\.file: boot file is 2\d\d bytes; option 67 holds at most 255/)]));
    expect(found.filter((p) => p.startsWith('inventory.profiles[0]'))).toHaveLength(1);
    const scheme = buildConfig({ dhcp: { networks: [{ serverAddress: '127.0.0.1', subnet: '127.0.0.0/8', publicUrl: 'ftp://x' }] } }, { baseDir: '/tmp' });
    expect(scheme.ok ? [] : scheme.problems.map((p) => p.path)).toContain('dhcp.networks[0].publicUrl');
  });
});
