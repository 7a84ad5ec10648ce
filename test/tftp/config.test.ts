import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/load.js';

describe('tftp config section', () => {
  it('defaults: server address, port by privilege, root relative to the config directory', () => {
    const result = buildConfig({}, { baseDir: '/etc/xenboot', privileged: false });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.tftp).toMatchObject({
      enabled: true,
      addresses: ['127.0.0.1'],
      port: 6969,
      root: '/etc/xenboot/tftproot',
      maxBlksize: 65464,
      maxWindowsize: 64,
      maxWindowBytes: 96 * 1024,
      timeoutMs: 1000,
      retries: 6,
      maxTransfers: 1024,
      maxTransfersPerClient: 64,
      answerStrangers: false,
      engine: 'auto',
    });
    const root = buildConfig({}, { baseDir: '/', privileged: true });
    expect(root.ok && root.config.tftp.port).toBe(69);
  });

  it('refuses a wildcard listen address, with its path', () => {
    const result = buildConfig({ tftp: { addresses: ['10.0.0.1', '0.0.0.0'] } }, { baseDir: '/' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ path: 'tftp.addresses[1]', message: expect.stringContaining('0.0.0.0 cannot be used') }]);
  });

  it('reports out-of-range limits', () => {
    const result = buildConfig({ tftp: { maxBlksize: 70000, maxWindowsize: 0, maxWindowBytes: 100, timeoutMs: 10, bogus: 1, engine: 'fast' } }, { baseDir: '/' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path).sort()).toEqual(['tftp.bogus', 'tftp.engine', 'tftp.maxBlksize', 'tftp.maxWindowBytes', 'tftp.maxWindowsize', 'tftp.timeoutMs']);
  });
});
