/**
 * `/metrics` scraped over a real socket and parsed by a strict Prometheus text parser: DHCP messages by
 * type and reply, pool usage from the DHCP server's stats function, TFTP transfers/bytes/errors, retransmits,
 * full send buffers and the duration histogram, HTTP requests by route, boot phases by profile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TftpTransferEvent } from '../../src/timeline/types.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const tftp = (outcome: TftpTransferEvent['outcome'], bytes: number, durationMs: number, retransmits = 0, sendBufferFull = 0): TftpTransferEvent => ({
  kind: 'tftp',
  at: Date.now(),
  ip: '10.204.40.5',
  port: 1000,
  serverIp: '10.204.40.1',
  file: 'pxelinux.0',
  outcome,
  bytes,
  blksize: 1408,
  windowsize: 1,
  durationMs,
  retransmits,
  sendBufferFull,
});

describe('/metrics', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await buildHarness({
      poolStats: () => [{ pool: '10.204.40.100-10.204.40.109', size: 10, used: 3 }],
      profileOf: (mac) => (mac === '52:54:00:00:bb:01' ? 'dom0' : undefined),
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it('exposes every series in valid text format with the values the events imply', async () => {
    const mac = '52:54:00:00:bb:01';
    h.bus.emit({ kind: 'dhcp', at: Date.now(), mac, messageType: 'DISCOVER', reply: 'OFFER', yiaddr: '10.204.40.5' });
    h.bus.emit({ kind: 'dhcp', at: Date.now(), mac, messageType: 'REQUEST', reply: 'ACK', yiaddr: '10.204.40.5' });
    h.bus.emit({ kind: 'dhcp', at: Date.now(), mac: '52:54:00:00:bb:02', messageType: 'DISCOVER', reply: null, reason: 'unknown MAC ignored' });
    h.bus.emit(tftp('complete', 26_000, 40));
    h.bus.emit(tftp('complete', 1_000, 3, 2, 5));
    h.bus.emit(tftp('timeout', 512, 7_000, 4, 0));
    await h.recorder.flush();
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await res.text());

    expect(families.get('xenboot_dhcp_messages_total')?.type).toBe('counter');
    expect(sampleValue(families, 'xenboot_dhcp_messages_total', { type: 'DISCOVER', reply: 'OFFER' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_messages_total', { type: 'REQUEST', reply: 'ACK' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_messages_total', { type: 'DISCOVER', reply: 'none' })).toBe(1);
    expect(sampleValue(families, 'xenboot_dhcp_pool_addresses', { pool: '10.204.40.100-10.204.40.109', state: 'used' })).toBe(3);
    expect(sampleValue(families, 'xenboot_dhcp_pool_addresses', { pool: '10.204.40.100-10.204.40.109', state: 'free' })).toBe(7);

    expect(sampleValue(families, 'xenboot_tftp_transfers_total', { outcome: 'complete' })).toBe(2);
    expect(sampleValue(families, 'xenboot_tftp_transfers_total', { outcome: 'timeout' })).toBe(1);
    expect(sampleValue(families, 'xenboot_tftp_bytes_total')).toBe(27_512);
    expect(sampleValue(families, 'xenboot_tftp_errors_total', { outcome: 'timeout' })).toBe(1);
    expect(families.get('xenboot_tftp_transfer_duration_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'xenboot_tftp_transfer_duration_seconds_count', { outcome: 'complete' })).toBe(2);
    expect(sampleValue(families, 'xenboot_tftp_transfer_duration_seconds_bucket', { outcome: 'complete', le: '0.005' })).toBe(1);
    expect(sampleValue(families, 'xenboot_tftp_transfer_duration_seconds_bucket', { outcome: 'complete', le: '0.05' })).toBe(2);
    expect(sampleValue(families, 'xenboot_tftp_transfer_duration_seconds_sum', { outcome: 'timeout' })).toBeCloseTo(7, 5);
    expect(sampleValue(families, 'xenboot_tftp_retransmits_total')).toBe(6);
    expect(sampleValue(families, 'xenboot_tftp_send_buffer_full_total')).toBe(5);

    expect(sampleValue(families, 'xenboot_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(sampleValue(families, 'xenboot_http_requests_total', { method: 'GET', route: '/*', status: '404' })).toBe(1);

    expect(sampleValue(families, 'xenboot_boot_phase_total', { profile: 'dom0', phase: 'dhcp-offer' })).toBe(1);
    expect(sampleValue(families, 'xenboot_boot_phase_total', { profile: 'dom0', phase: 'dhcp-ack' })).toBe(1);
    // TFTP came from the acknowledged address: attributed to the same machine and profile.
    expect(sampleValue(families, 'xenboot_boot_phase_total', { profile: 'dom0', phase: 'tftp' })).toBe(2);
  });

  it('the parser is strict: it rejects malformed expositions', () => {
    expect(() => parsePrometheusText('x_total 1\n')).toThrow(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow(/unterminated/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{1a="b"} 1\n')).toThrow(/label name/);
  });
});
