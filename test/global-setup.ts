/**
 * Gives the whole test run one temporary directory (TMPDIR, inherited by the test workers and every
 * process they start) and removes it when the run ends, so scratch files of every test are cleaned up
 * even when a test fails before its own cleanup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
