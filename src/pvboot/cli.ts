#!/usr/bin/env node
/**
 * `xenboot-pvboot`: a Xen PV bootloader for `xl` (and xm) that netboots a domU from a xenboot server,
 * replacing pypxeboot, which only speaks xm's SXP. Exit codes: 0 booted, 1 failure (one line on stderr,
 * no file left in the output directory), 2 bad arguments. Shipped as one file (`npm run build:pvboot`)
 * that runs on Node.js 18 and later. The exit status is set, never forced: the process ends when its
 * work is done.
 */
import { parsePvbootArgs, PvbootUsageError, PVBOOT_USAGE, type PvbootArgs } from './args.js';
import { inheritedTargets, runRestricted } from './depriv.js';
import { oneLine, PvbootError } from './http.js';
import { runPvboot } from './run.js';
import { closeQuietly, discard, openTargets, type PvbootTargets } from './targets.js';

function fail(message: string): number {
  process.stderr.write(`xenboot-pvboot: ${message}\n`);
  return 1;
}

async function runOn(args: PvbootArgs, targets: PvbootTargets, removeOnFailure: boolean): Promise<number> {
  const quiet = args.quiet;
  try {
    const outcome = await runPvboot(args, targets, (line) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    });
    if (targets.output === null) process.stdout.write(outcome.text);
    if (!outcome.ramdiskUsed && removeOnFailure) discard(targets.ramdisk);
    return 0;
  } catch (error) {
    if (removeOnFailure) {
      discard(targets.kernel);
      discard(targets.ramdisk);
    }
    return fail(error instanceof PvbootError ? error.message : oneLine(error));
  } finally {
    closeQuietly(targets.kernel);
    closeQuietly(targets.ramdisk);
    closeQuietly(targets.output);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    process.stdout.write(`${PVBOOT_USAGE}\n`);
    return 0;
  }
  let args: PvbootArgs;
  try {
    args = parsePvbootArgs(argv, process.env);
  } catch (error) {
    if (error instanceof PvbootUsageError) {
      process.stderr.write(`xenboot-pvboot: ${error.message}\n${PVBOOT_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  // The restricted child: the files were opened by the root parent, which also removes them on failure.
  const inherited = inheritedTargets(process.env);
  if (inherited !== null) return runOn(args, inherited, false);

  const targets = openTargets(args.outputDirectory, args.output);
  if (args.runas !== undefined && process.getuid?.() === 0) {
    const env = { ...process.env };
    const code = await runRestricted(args.runas, targets, argv, env);
    for (const target of [targets.kernel, targets.ramdisk, targets.output]) closeQuietly(target);
    return code;
  }
  return runOn(args, targets, true);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = fail(error instanceof PvbootError ? error.message : oneLine(error));
  },
);
