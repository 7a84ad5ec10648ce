/**
 * Every fuzz target runs briefly on each test run, as `npm run fuzz` runs them (a worker each, the corpus
 * seeded from the captures and docs, the saved regressions replayed first): each must execute, grow a
 * corpus, reach code under test, and find nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCommand } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import type { FuzzReport } from '../../fuzz/engine/fuzzer.js';
import { TARGETS } from '../../fuzz/targets/index.js';

const dir = mkdtempSync(join(tmpdir(), 'xenboot-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('every target runs for 3 s and finds nothing', { timeout: 120_000 }, async () => {
  const json = join(dir, 'report.json');
  const result = await runCommand(process.execPath, ['--import', 'tsx', join(repoRoot, 'fuzz', 'run.ts'), '--seconds', '3', '--no-save', '--seed', '17', '--json', json], {
    cwd: repoRoot,
    timeoutMs: 110_000,
  });
  const { reports } = JSON.parse(readFileSync(json, 'utf8')) as { reports: FuzzReport[] };
  expect(reports.map((r) => r.target)).toEqual(TARGETS.map((t) => t.name));
  for (const report of reports) {
    expect(report.executions, report.target).toBeGreaterThan(20);
    expect(report.corpus, report.target).toBeGreaterThan(0);
    expect(report.blocks, report.target).toBeGreaterThan(10);
    expect(report.findings, `${report.target}: ${JSON.stringify(report.findings)}`).toEqual([]);
  }
  expect(result.code, result.stdout + result.stderr).toBe(0);
});
