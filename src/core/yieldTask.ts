/**
 * Yields to the event loop: the promise resolves in a new task, so that queued messages (an
 * abort, a progress request) and, on a page, input get their turn between slices of work.
 *
 * setTimeout(0) does the same, but browsers clamp nested timers to 4 ms (HTML, timer nesting
 * level above 5), which the neighbour engine's chain of 40 ms slices reaches at once: up to
 * 10 % of its time spent waiting. Node's setImmediate and a MessageChannel message take
 * microseconds.
 */
let channel: MessageChannel | null = null;
const waiting: (() => void)[] = [];

export function yieldTask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    return new Promise((resolve) => {
      waiting.push(resolve);
      channel!.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
