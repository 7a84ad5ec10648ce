import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load.js';

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
});
