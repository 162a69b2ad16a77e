/**
 * CLI error handling: user errors (bad input, bad options) end the process with exit code 2 and
 * one line on stderr, never a stack trace; anything else is an internal error (exit 1).
 */
import { InputError } from '../core/features/csv.ts';

/** A bad command line (unknown option, bad value). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A problem with one input file: the message names the file first. */
export class FileError extends Error {
  override readonly name = 'FileError';
  constructor(readonly path: string, problem: string) {
    super(`${path}: ${problem}`);
  }
}

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;

export function isUserError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof FileError || e instanceof InputError;
}

/** One line: newlines inside a message are folded so stderr stays one line. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Text of a Node fs error without the syscall noise ("no such file", "is a directory", ...). */
export function fsProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'cannot read the file: no such file';
    case 'EISDIR': return 'cannot read the file: it is a directory';
    case 'EACCES': case 'EPERM': return 'cannot read the file: permission denied';
    default: return `cannot read the file: ${oneLine((e as Error)?.message ?? String(e))}`;
  }
}
