/**
 * The outcome of one request: its answer, or `timeout` when it took longer than `timeoutMs`, or
 * `deadline` when `giveUpAt` came first. The client's own `timeout` option does nothing (teeny-request
 * hands it to node-fetch 3, which dropped that option), so a request to a BigQuery that stopped
 * answering would otherwise wait forever. A request given up on may still land; its rows are sent
 * again with the same insertIds, which BigQuery de-duplicates.
 */
export async function answerWithin<R>(request: Promise<R>, timeoutMs: number, giveUpAt: () => number = () => Infinity): Promise<{ answer: R } | 'timeout' | 'deadline'> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const clock = new Promise<'timeout' | 'deadline'>((resolve) => {
    const check = () => {
      const now = Date.now();
      if (now >= giveUpAt()) return resolve('deadline');
      if (now - started >= timeoutMs) return resolve('timeout');
      // Re-read: the deadline may move (a shutdown sets one while a request is out).
      timer = setTimeout(check, Math.min(giveUpAt() - now, started + timeoutMs - now, 250));
    };
    check();
  });
  request.catch(() => undefined);
  try {
    return await Promise.race([request.then((answer) => ({ answer })), clock]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
