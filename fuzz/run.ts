/**
 * `npm run fuzz [-- --seconds N] [--seed N] [--json FILE] [--no-save] [target …]`: runs every fuzz
 * target (or those named) for a bounded time each, one after the other, each in a worker thread that is
 * stopped when one input runs longer than `--hang-seconds` (a hang is a finding too). Prints a table;
 * exits 1 when anything was found. Inputs that added coverage are kept in `fuzz/.corpus/<target>/` and
 * findings written to `fuzz/findings/<target>/` (both ignored by git) unless `--no-save`; inputs in
 * `fuzz/regressions/<target>/` (defects found and fixed) are replayed first. docs/security.md says how
 * the fuzzer works and what it found.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FuzzReport } from './engine/fuzzer.js';
import { superviseFuzzing } from './engine/supervise.js';
import { TARGETS } from './targets/index.js';

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      json: { type: 'string' },
      'hang-seconds': { type: 'string', default: '10' },
      'no-save': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const hangSeconds = Number(values['hang-seconds']);
  if (!(seconds > 0) || !(hangSeconds > 0)) throw new Error('--seconds and --hang-seconds must be positive numbers');
  const unknown = positionals.filter((name) => !TARGETS.some((t) => t.name === name));
  if (unknown.length > 0) throw new Error(`unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  const targets = positionals.length > 0 ? TARGETS.filter((t) => positionals.includes(t.name)) : TARGETS;
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() >>> 0;
  const save = !values['no-save'];

  console.log(`fuzzing ${targets.length} target(s), ${seconds} s each, seed ${seed}`);
  const reports: FuzzReport[] = [];
  for (const target of targets) {
    const report = await superviseFuzzing(
      target.name,
      {
        module: target.module,
        exportName: target.exportName,
        options: {
          seconds,
          seed,
          regressionsDir: join(here, 'regressions'),
          ...(save ? { corpusDir: join(here, '.corpus'), findingsDir: join(here, 'findings') } : {}),
        },
      },
      hangSeconds,
    );
    reports.push(report);
    const rate = Math.round(report.executions / report.seconds);
    console.log(
      `${report.target.padEnd(16)} ${String(report.executions).padStart(8)} execs ${String(rate).padStart(6)}/s  corpus ${String(report.corpus).padStart(4)}  blocks ${String(report.blocks).padStart(5)}  slowest ${report.slowestMs.toFixed(1).padStart(6)} ms  findings ${report.findings.length}`,
    );
    for (const finding of report.findings) console.log(`  ${finding.kind}: ${finding.signature}${finding.file ? `\n    input: ${finding.file}` : ''}`);
  }
  const total = reports.reduce((sum, r) => sum + r.executions, 0);
  const found = reports.reduce((sum, r) => sum + r.findings.length, 0);
  console.log(`${total} executions, ${found} finding(s)`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ seed, seconds, reports }, null, 2)}\n`);
  return found > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
