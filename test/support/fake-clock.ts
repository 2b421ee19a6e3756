import type { Clock } from '../../src/sinks/bigquery/clock.ts';

interface Timer {
  at: number;
  resolve: () => void;
}

/** Lets the code under test run until it waits on the clock again (promise callbacks and I/O). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock whose time moves only when the test says: `sleep` waits for `advance` or `run` to reach it.
 * Unit tests of retries and deadlines run in no real time and see exact delays.
 */
export class FakeClock implements Clock {
  private time: number;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { at: this.time + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms`, firing each timer due on the way in order and letting the code run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.nextTimer();
      if (!next || next.at > end) break;
      this.fire(next);
    }
    this.time = end;
    await settle();
  }

  /**
   * Runs the code until `work` settles, moving time to the next timer whenever the code waits on the
   * clock. Fails when the code waits on something else (it would never settle).
   */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await settle();
      if (settled) return work;
      const next = this.nextTimer();
      if (!next) throw new Error('the code under test waits on something other than the clock');
      this.fire(next);
    }
  }

  private nextTimer(): Timer | undefined {
    return this.timers.reduce<Timer | undefined>((first, t) => (!first || t.at < first.at ? t : first), undefined);
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = Math.max(this.time, timer.at);
    timer.resolve();
  }
}
