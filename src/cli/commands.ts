/**
 * The subcommand table: one row per `synthlens <command>`. A new command adds one row here.
 */
import type { CliIO } from './io.ts';

export interface Command {
  name: string;
  /** One line for `synthlens --help`. */
  summary: string;
  /** Runs the command on its own arguments; resolves to the exit code. Loaded lazily. */
  run: (argv: string[], io: CliIO) => Promise<number>;
}

export const COMMANDS: Command[] = [
  {
    name: 'metrics',
    summary: 'metrics from feature files (.csv / .npy): fidelity, privacy, PRDC, FID, KID, DCR, Vendi',
    run: async (argv, io) => (await import('./metrics.ts')).runMetrics(argv, io),
  },
  {
    name: 'evaluate',
    summary: 'metrics from image folders: decode, embed, then every metric (and variety, optionally utility)',
    run: async (argv, io) => (await import('./evaluate.ts')).runEvaluate(argv, io),
  },
];
