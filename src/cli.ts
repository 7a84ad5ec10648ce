#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `xenboot` command line: dispatches to a sub-command and turns its result into the exit code.
 * This is the only module that calls `process.exit`.
 */
import { commands } from './commands/index.js';
import type { CommandIo } from './commands/command.js';

const io: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: xenboot <command> [options]', '', 'commands:', ...lines, '', 'xenboot help <command> shows its options.', ''].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] !== undefined ? commands[rest[0]] : undefined;
    io.stdout(topic ? `usage: ${topic.usage}\n` : help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`xenboot: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // Argument errors from util.parseArgs are usage errors, not crashes.
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`xenboot ${name}: ${e.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    // A failure to start (port in use, broken template, unreachable database) is reported as one line;
    // XENBOOT_DEBUG=1 adds the stack for bug reports.
    io.stderr(`xenboot ${name}: ${process.env.XENBOOT_DEBUG ? (e.stack ?? e.message) : e.message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`xenboot: ${String(error)}\n`);
    process.exit(1);
  },
);
