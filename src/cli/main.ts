/**
 * synthlens command-line entry: dispatches to a subcommand (./commands.ts) and maps errors to
 * exit codes: user errors exit 2 with one line on stderr (no stack trace), internal errors exit 1.
 */
import { COMMANDS } from './commands.ts';
import { APP_VERSION } from '../core/report/schema.ts';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USER, isUserError, oneLine } from './errors.ts';
import { processIO, type CliIO } from './io.ts';

export function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: synthlens <command> [options]

Evaluate synthetic medical images against real ones, locally.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run "synthlens <command> --help" for a command's options.
  -h, --help     this help
  --version      print the version
`;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(usage());
    return EXIT_USER;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    io.stdout(usage());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    io.stdout(`${APP_VERSION}\n`);
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    io.stderr(`synthlens: unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see synthlens --help)\n`);
    return EXIT_USER;
  }
  // Libraries that log to stdout (console.log) must not mix with the report on stdout.
  const log = console.log;
  const info = console.info;
  console.log = (...a: unknown[]) => console.error(...a);
  console.info = (...a: unknown[]) => console.error(...a);
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (isUserError(e)) {
      io.stderr(`synthlens ${cmd.name}: ${oneLine(e.message)}\n`);
      return EXIT_USER;
    }
    const err = e as Error;
    io.stderr(`synthlens ${cmd.name}: internal error: ${err?.stack ?? String(e)}\n`);
    return EXIT_INTERNAL;
  } finally {
    console.log = log;
    console.info = info;
  }
}
