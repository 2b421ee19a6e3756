import type { Logger } from 'pino';
import type { Collector } from '../collector/collector.ts';
import { AbandonedError } from '../core/errors.ts';

/** Time the sink gets to store the last rows after in-flight users were let finish or abandoned. */
export const FLUSH_GRACE_MS = 5_000;

/**
 * A worker's answer to SIGTERM and SIGINT (Heroku's daily restart gives 30 s before SIGKILL), in two
 * steps: the first signal stops taking users and lets in-flight ones finish for up to `timeoutMs`;
 * then, or on a second signal, in-flight users are abandoned (no row; the next run redoes them).
 *
 * It listens from the start of the worker, not only once users are collected: a signal while the
 * users table is staged or the bucket resolved aborts `signal`, which ends staging at once, and the
 * worker stops before it collects anything (nothing is in flight, nothing to save); a second signal
 * ends the process at once.
 */
export class Shutdown {
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private collector: Collector | undefined;
  private signalled = false;
  private signalledAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => this.handle(signal);
  private readonly stopping = new AbortController();

  constructor(timeoutMs: number, log: Logger) {
    this.timeoutMs = timeoutMs;
    this.log = log;
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
  }

  /** Whether a signal asked the worker to stop. */
  get requested(): boolean {
    return this.signalled;
  }

  /** Aborted by the first signal: set-up work (staging the users table) stops when it is. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /**
   * When rows must be stored by, after a signal: in-flight users get the shutdown timeout, the
   * flush FLUSH_GRACE_MS more (Heroku kills 30 s after SIGTERM; 20 s + 5 s by default).
   */
  get flushDeadline(): number | undefined {
    return this.signalled ? this.signalledAt + this.timeoutMs + FLUSH_GRACE_MS : undefined;
  }

  /** From now on a signal stops `collector` (gracefully, then by abandoning in-flight users). */
  attach(collector: Collector): void {
    this.collector = collector;
    if (this.signalled) this.stop(collector);
  }

  [Symbol.dispose](): void {
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }

  private handle(signal: NodeJS.Signals): void {
    const collector = this.collector;
    if (this.signalled) {
      if (collector) collector.abort(`second ${signal}`);
      else {
        this.log.warn({ signal }, 'stopping at once: second signal before collecting began');
        process.exit(0);
      }
      return;
    }
    this.signalled = true;
    this.signalledAt = Date.now();
    this.stopping.abort(new AbandonedError(`${signal} before collecting began`));
    if (!collector) {
      this.log.warn({ signal }, 'stopping: signal before collecting began; nothing to save');
      return;
    }
    this.log.warn({ signal, shutdownTimeoutMs: this.timeoutMs }, 'stopping: no new users; in-flight users may finish');
    this.stop(collector);
  }

  private stop(collector: Collector): void {
    collector.stop();
    this.timer = setTimeout(() => {
      this.log.warn('shutdown timeout: abandoning in-flight users (the next run redoes them)');
      collector.abort('shutdown timeout');
    }, this.timeoutMs);
  }
}
