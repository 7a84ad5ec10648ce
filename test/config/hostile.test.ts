/**
 * Config files built to hurt the loader (issue 17, item 8): tens of thousands of problems must be
 * reported in time linear in their number, and a YAML alias bomb is a config problem (exit 2), not a crash.
 */
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, parseConfigText } from '../../src/config/load.js';

function badHosts(count: number) {
  return Array.from({ length: count }, (_, i) => ({ mac: `not-a-mac-${i}`, profile: 'missing' }));
}

/** Milliseconds `buildConfig` takes to report the problems of `count` bad hosts, and how many it reports. */
function timeBadHosts(count: number): { ms: number; problems: number } {
  const start = performance.now();
  const result = buildConfig({ inventory: { hosts: badHosts(count) } }, { baseDir: '/tmp', privileged: false });
  const ms = performance.now() - start;
  if (result.ok) throw new Error('bad hosts accepted');
  return { ms, problems: result.problems.length };
}

describe('a config with many problems', () => {
  it('reports every one of 20,000 bad hosts in time that grows linearly', { timeout: 120_000 }, () => {
    timeBadHosts(500); // warm-up
    const small = timeBadHosts(5_000);
    const large = timeBadHosts(20_000);
    expect(large.problems).toBeGreaterThanOrEqual(20_000);
    // 4x the problems: linear work takes ~4x as long; quadratic work took 16x (and minutes at 200k).
    expect(large.ms / small.ms).toBeLessThan(8);
  });
});

describe('a YAML alias bomb', () => {
  it('is a ConfigError (exit 2) naming the problem, not an exception', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`);
    const text = lines.join('\n');
    expect(() => parseConfigText(text, 'bomb.yaml')).toThrow(ConfigError);
    expect(() => parseConfigText(text, 'bomb.yaml')).toThrow(/alias/i);
  });
});
