import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/load.js';

const dhcp = { mode: 'full', subnet: '10.211.0.0/16', ranges: [{ start: '10.211.1.0', end: '10.211.1.255' }] };
const store = { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' };

describe('dhcp.ha config', () => {
  it('fills the defaults: a heartbeat every second, takeover after 5 s', () => {
    const result = buildConfig({ server: { address: '10.211.0.1' }, dhcp: { ...dhcp, ha: { self: 'a', peers: ['a', 'b'] } }, store }, { baseDir: '/' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.dhcp.ha).toEqual({ self: 'a', peers: ['a', 'b'], heartbeatSeconds: 1, takeoverSeconds: 5 });
  });

  it('reports every problem at once', () => {
    const result = buildConfig(
      {
        server: { address: '10.211.0.1' },
        dhcp: { ...dhcp, mode: 'proxy', ha: { self: 'c', peers: ['a', 'b', 'a'], heartbeatSeconds: 2, takeoverSeconds: 5 } },
        store: { kind: 'sqlite' },
      },
      { baseDir: '/' },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'dhcp.ha.self: "c" is not one of dhcp.ha.peers (a, b, a)',
        'dhcp.ha.peers[2]: "a" is listed twice',
        'dhcp.ha.takeoverSeconds: 5 is less than three heartbeats (3 × heartbeatSeconds = 6)',
        'dhcp.ha: needs dhcp.mode full (got "proxy")',
        'dhcp.ha: needs store.kind postgres, the store the instances share (got "sqlite")',
      ]),
    );
  });

  it('rejects one peer, bad names and unknown keys through the schema', () => {
    const result = buildConfig({ dhcp: { ...dhcp, ha: { self: 'a', peers: ['a'], bogus: 1 } }, store }, { baseDir: '/' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['dhcp.ha.peers', 'dhcp.ha.bogus']));
    const names = buildConfig({ dhcp: { ...dhcp, ha: { self: 'a b', peers: ['a b', 'c'] } }, store }, { baseDir: '/' });
    expect(names.ok).toBe(false);
  });
});
