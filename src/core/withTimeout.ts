/**
 * `p`, or a rejection naming `what` once `ms` have passed without it settling (the timer is cleared when `p` settles
 * first). Used around steps that can hang instead of failing: tf.setBackend, a backend's first op, opening a store.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
