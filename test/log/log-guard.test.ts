/**
 * The root logger against client-controlled text (issue 17, item 13): long strings are cut and a flood
 * of one warning is rate-limited, with the number suppressed reported afterwards.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_STRING, WARN_BURST, WARN_WINDOW_MS } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('log guard', () => {
  it('cuts a 30 KB file name in a warning to a short line', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    logger.child({ subsystem: 'tftp' }).warn({ file: 'a'.repeat(30_000), client: '10.0.0.9:2000' }, 'transfer not-found');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(MAX_LOG_STRING + 300);
    expect(JSON.parse(lines[0]!).file).toMatch(/… \(30000 characters\)$/);
  });

  it('lets WARN_BURST copies of one warning through per window, then reports how many it dropped', async () => {
    const { lines, stream } = capture();
    const clock = { now: 1_000_000 };
    const logger = createLogger({ level: 'info', format: 'json' }, stream, () => clock.now);
    for (let i = 0; i < 1000; i++) logger.warn({ n: i }, 'transfer timeout');
    logger.warn({ other: true }, 'another warning');
    logger.info({ n: 1 }, 'info is not limited');
    clock.now += WARN_WINDOW_MS;
    logger.warn({ n: 1000 }, 'transfer timeout');
    await new Promise((r) => setImmediate(r));
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.filter((l) => l.msg === 'transfer timeout')).toHaveLength(WARN_BURST + 1);
    expect(parsed.at(-1)).toMatchObject({ n: 1000, suppressedBefore: 1000 - WARN_BURST });
    expect(parsed.some((l) => l.msg === 'another warning')).toBe(true);
    expect(parsed.some((l) => l.msg === 'info is not limited')).toBe(true);
  });
});
