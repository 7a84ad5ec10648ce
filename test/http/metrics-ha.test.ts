/**
 * The two-instance series of `/metrics`: present with the member's report, absent without `dhcp.ha`,
 * and valid exposition text either way (strict parser).
 */
import { describe, expect, it } from 'vitest';
import { Metrics, type HaReport } from '../../src/metrics/metrics.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const report = (over: Partial<HaReport> = {}): HaReport => ({
  peers: [
    { name: 'a', up: true },
    { name: 'b', up: false },
  ],
  answeringBuckets: 256,
  heartbeatAgeMs: 1500,
  fenced: false,
  takeovers: 1,
  handbacks: 0,
  heartbeatFailures: 2,
  peersRequests: 40,
  fencedRequests: 3,
  kernelFilter: true,
  ...over,
});

describe('/metrics, two-instance mode', () => {
  it('publishes who is up, the buckets answered, the heartbeat age and the counters', async () => {
    let current = report();
    const metrics = new Metrics({ processMetrics: false, ha: () => current });
    let families = parsePrometheusText((await metrics.render()).body);
    expect(sampleValue(families, 'xenboot_dhcp_ha_peer_up', { peer: 'a' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_ha_peer_up', { peer: 'b' })).toBe(0);
    expect(sampleValue(families, 'xenboot_dhcp_ha_answering_buckets', {})).toBe(256);
    expect(sampleValue(families, 'xenboot_dhcp_ha_heartbeat_age_seconds', {})).toBe(1.5);
    expect(sampleValue(families, 'xenboot_dhcp_ha_fenced', {})).toBe(0);
    expect(sampleValue(families, 'xenboot_dhcp_ha_kernel_filter', {})).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_ha_takeovers_total', {})).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_ha_handbacks_total', {})).toBe(0);
    expect(sampleValue(families, 'xenboot_dhcp_ha_heartbeat_failures_total', {})).toBe(2);
    expect(sampleValue(families, 'xenboot_dhcp_ha_dropped_total', { reason: 'peer' })).toBe(40);
    expect(sampleValue(families, 'xenboot_dhcp_ha_dropped_total', { reason: 'fenced' })).toBe(3);
    expect(families.get('xenboot_dhcp_ha_takeovers_total')?.type).toBe('counter');
    expect(families.get('xenboot_dhcp_ha_peer_up')?.type).toBe('gauge');

    // The peer returns: the next scrape says so (values are read at scrape time).
    current = report({ peers: [{ name: 'a', up: true }, { name: 'b', up: true }], answeringBuckets: 128, handbacks: 1, kernelFilter: false });
    families = parsePrometheusText((await metrics.render()).body);
    expect(sampleValue(families, 'xenboot_dhcp_ha_kernel_filter', {})).toBe(0);
    expect(sampleValue(families, 'xenboot_dhcp_ha_peer_up', { peer: 'b' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_ha_answering_buckets', {})).toBe(128);
    expect(sampleValue(families, 'xenboot_dhcp_ha_handbacks_total', {})).toBe(1);
  });

  it('has no two-instance series without dhcp.ha, and empty ones while the DHCP server is not up', async () => {
    const without = parsePrometheusText((await new Metrics({ processMetrics: false }).render()).body);
    expect([...without.keys()].filter((name) => name.startsWith('xenboot_dhcp_ha_'))).toEqual([]);
    const notYet = parsePrometheusText((await new Metrics({ processMetrics: false, ha: () => null }).render()).body);
    expect(notYet.get('xenboot_dhcp_ha_peer_up')?.samples ?? []).toEqual([]);
  });
});
