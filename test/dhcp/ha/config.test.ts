import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/load.js';

const dhcp = { mode: 'full', subnet: '10.211.0.0/16', ranges: [{ start: '10.211.1.0', end: '10.211.1.255' }] };
const store = { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' };
const peers = [
  { name: 'a', address: '10.211.0.1' },
  { name: 'b', address: '10.211.0.2' },
];

describe('dhcp.ha config', () => {
  it('fills the defaults: a heartbeat every second, takeover after 5 s', () => {
    const result = buildConfig({ server: { address: '10.211.0.1' }, dhcp: { ...dhcp, ha: { self: 'a', peers } }, store }, { baseDir: '/' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.dhcp.ha).toEqual({ self: 'a', peers, heartbeatSeconds: 1, takeoverSeconds: 5 });
  });

  it('reports every problem at once', () => {
    const result = buildConfig(
      {
        server: { address: '10.211.0.1' },
        dhcp: {
          ...dhcp,
          mode: 'proxy',
          ha: { self: 'c', peers: [...peers, { name: 'a', address: '10.211.0.2' }], heartbeatSeconds: 2, takeoverSeconds: 5 },
        },
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
        'dhcp.ha.peers[2].name: "a" is listed twice',
        "dhcp.ha.peers[2].address: 10.211.0.2 is also dhcp.ha.peers[1]'s address",
        'dhcp.ha.takeoverSeconds: 5 is less than three heartbeats (3 × heartbeatSeconds = 6)',
        'dhcp.ha: needs dhcp.mode full (got "proxy")',
        'dhcp.ha: needs store.kind postgres, the store the instances share (got "sqlite")',
      ]),
    );
  });

  it("checks that this instance's entry carries its server.address", () => {
    const result = buildConfig({ server: { address: '10.211.0.9' }, dhcp: { ...dhcp, ha: { self: 'b', peers } }, store }, { baseDir: '/' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(["dhcp.ha.peers[1].address: 10.211.0.2 is this instance's entry (self), but server.address is 10.211.0.9"]);
  });

  it('rejects one peer, bad names, bad addresses and unknown keys through the schema', () => {
    const result = buildConfig({ dhcp: { ...dhcp, ha: { self: 'a', peers: [peers[0]], bogus: 1 } }, store }, { baseDir: '/' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['dhcp.ha.peers', 'dhcp.ha.bogus']));
    const names = buildConfig({ dhcp: { ...dhcp, ha: { self: 'a b', peers: [{ name: 'a b', address: '10.211.0.1' }, { name: 'c', address: '10.211.0.300' }] } }, store }, { baseDir: '/' });
    expect(names.ok).toBe(false);
    if (names.ok) return;
    expect(names.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['dhcp.ha.peers[0].name', 'dhcp.ha.peers[1].address']));
  });
});
