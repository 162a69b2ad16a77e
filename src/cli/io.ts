/** The streams a command writes to (injected so tests can run commands in-process). */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: progress is shown only then. */
  stderrIsTTY: boolean;
}

// A closed pipe on stdout (`synthlens ... | head`) ends the process quietly instead of with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

export const processIO: CliIO = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  stderrIsTTY: Boolean(process.stderr.isTTY),
};
