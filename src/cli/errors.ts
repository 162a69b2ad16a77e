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

/** An integer option value (>= min), or `def` when absent; a UsageError names the option otherwise. */
export function intOption(name: string, value: string | undefined, def: number, min: number): number {
  if (value === undefined) return def;
  if (!/^[+]?\d+$/.test(value.trim())) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return v;
}

/** A finite non-negative number option value, or `def` when absent. */
export function floatOption(name: string, value: string | undefined, def: number): number {
  if (value === undefined) return def;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`--${name} must be a finite number >= 0, got "${value}"`);
  return v;
}

/** A string option that must be one of `allowed`; `def` when absent. */
export function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[], def: T): T {
  if (value === undefined) return def;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}
