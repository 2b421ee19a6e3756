import { SYSTEM_CLOCK, type Clock } from './clock.ts';

/** Longest wait between two looks at a deadline that may move (a shutdown sets one while a request is out). */
const DEADLINE_CHECK_MS = 250;

/**
 * The outcome of one request: its answer, or `timeout` when it took longer than `timeoutMs`, or
 * `deadline` when `giveUpAt` came first. The client's own `timeout` option does nothing (teeny-request
 * hands it to node-fetch 3, which dropped that option), so a request to a BigQuery that stopped
 * answering would otherwise wait forever. A request given up on may still land; its rows are sent
 * again with the same insertIds, which BigQuery de-duplicates (best effort).
 */
export async function answerWithin<R>(request: Promise<R>, timeoutMs: number, giveUpAt: () => number = () => Infinity, clock: Clock = SYSTEM_CLOCK): Promise<{ answer: R } | 'timeout' | 'deadline'> {
  const started = clock.now();
  const stop = new AbortController();
  const answer = request.then((value) => ({ answer: value }));
  // The request may fail after the clock won; nobody waits for it then.
  answer.catch(() => undefined);
  try {
    for (;;) {
      const now = clock.now();
      if (now >= giveUpAt()) return 'deadline';
      if (now - started >= timeoutMs) return 'timeout';
      // Aborted (below) once the answer came: that is no failure.
      const tick = clock.sleep(Math.min(giveUpAt() - now, started + timeoutMs - now, DEADLINE_CHECK_MS), stop.signal).then(
        () => undefined,
        () => undefined,
      );
      const first = await Promise.race([answer, tick]);
      if (first) return first;
    }
  } finally {
    stop.abort();
  }
}

/**
 * Waits `ms`, or rejects with `onDeadline()` once `giveUpAt` passes, whichever comes first; the
 * deadline is read again while waiting, since a shutdown may bring it forward.
 */
export async function waitUnlessDeadline(ms: number, giveUpAt: () => number, onDeadline: () => Error, clock: Clock = SYSTEM_CLOCK): Promise<void> {
  const end = clock.now() + ms;
  for (;;) {
    const now = clock.now();
    if (now >= giveUpAt()) throw onDeadline();
    if (now >= end) return;
    await clock.sleep(Math.min(end - now, giveUpAt() - now, DEADLINE_CHECK_MS));
  }
}
