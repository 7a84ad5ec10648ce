import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, defaultConfig, loadConfigFile, parseConfigText } from '../../src/config/load.js';

describe('config loading', () => {
  it('runs on embedded defaults: TFTP on 127.0.0.1, unprivileged port when not root, DHCP off, HTTP on 8080', () => {
    const config = defaultConfig({ privileged: false, baseDir: '/srv/xenboot' });
    expect(config.tftp.addresses).toEqual(['127.0.0.1']);
    expect(config.tftp.port).toBe(6969);
    expect(config.tftp.root).toBe('/srv/xenboot/tftproot');
    expect(config.dhcp.mode).toBe('off');
    expect(config.http.port).toBe(8080);
    expect(config.http.publicUrl).toBe('http://127.0.0.1:8080');
    expect(Object.isFrozen(config.tftp)).toBe(true);
  });

  it('uses port 69 when privileged', () => {
    expect(defaultConfig({ privileged: true }).tftp.port).toBe(69);
  });

  it('reports every problem at once, each with its path and the bad value', () => {
    const result = buildConfig(
      {
        server: { address: '10.0.1.300' },
        tftp: { maxBlksize: 7, addresses: ['1.2.3.4', 'nope'], bogus: 1 },
        dhcp: { mode: 'sometimes' },
        http: { port: 70000 },
      },
      { baseDir: '/' },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines).toContain('server.address: 10.0.1.300 is not an IPv4 address');
    expect(lines).toContain('tftp.addresses[1]: nope is not an IPv4 address');
    expect(lines).toContain('tftp.bogus: unknown key');
    expect(lines).toContain('dhcp.mode: must be one of "off", "full", "proxy" (got "sometimes")');
    expect(lines.some((l) => l.startsWith('tftp.maxBlksize: ') && l.includes('7'))).toBe(true);
    expect(lines.some((l) => l.startsWith('http.port: ') && l.includes('70000'))).toBe(true);
  });

  it('rejects a document that is not a mapping', () => {
    const result = buildConfig([1, 2], { baseDir: '/' });
    expect(result.ok).toBe(false);
  });

  it('reports YAML syntax errors with line numbers', () => {
    expect(() => parseConfigText('tftp:\n  port: [1,\n', 'x.yaml')).toThrow(ConfigError);
    try {
      parseConfigText('a: 1\na: 2\n', 'x.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems[0]!.path).toMatch(/^line 2/);
    }
  });

  it('reads YAML and JSON files and resolves paths against the file directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-config-'));
    writeFileSync(join(dir, 'a.yaml'), 'tftp:\n  root: files\n  port: 1069\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ store: { path: 'state.db' } }));
    const a = await loadConfigFile(join(dir, 'a.yaml'));
    expect(a.tftp.root).toBe(join(dir, 'files'));
    expect(a.tftp.port).toBe(1069);
    const b = await loadConfigFile(join(dir, 'b.json'));
    expect(b.store.path).toBe(join(dir, 'state.db'));
    await expect(loadConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read/);
  });
});
