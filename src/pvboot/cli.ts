#!/usr/bin/env node
/**
 * `xenboot-pvboot`: a Xen PV bootloader for `xl` (and xm) that netboots a domU from a xenboot server,
 * replacing pypxeboot, which only speaks xm's SXP. Exit codes: 0 booted, 1 failure (message on stderr),
 * 2 bad arguments. The exit status is set, never forced: the process ends when its work is done.
 */
import { parsePvbootArgs, PvbootUsageError, PVBOOT_USAGE } from './args.js';
import { PvbootError, runPvboot } from './run.js';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    process.stdout.write(`${PVBOOT_USAGE}\n`);
    return 0;
  }
  let args;
  try {
    args = parsePvbootArgs(argv, process.env);
  } catch (error) {
    if (error instanceof PvbootUsageError) {
      process.stderr.write(`xenboot-pvboot: ${error.message}\n${PVBOOT_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (args.runas !== undefined && process.getuid?.() === 0) {
    // libxl's bootloader_restrict: drop to the given uid before talking to the network. The group is
    // the same number, as pygrub's own --runas does.
    try {
      process.setgroups?.([]);
      process.setgid?.(args.runas);
      process.setuid?.(args.runas);
    } catch (error) {
      process.stderr.write(`xenboot-pvboot: cannot switch to uid ${args.runas}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const quiet = args.quiet;
  try {
    const text = await runPvboot(args, (line) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    });
    if (args.output === undefined) process.stdout.write(text);
    return 0;
  } catch (error) {
    if (error instanceof PvbootError) {
      process.stderr.write(`xenboot-pvboot: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`xenboot-pvboot: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`xenboot-pvboot: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
