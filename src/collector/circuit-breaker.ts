import { CircuitOpenError } from '../core/errors.ts';
import type { UserResult } from './result.ts';

export interface CircuitBreakerOptions {
  /**
   * The run stops when its first this-many finished users all failed on the same connection-level
   * error (CIRCUIT_FIRST_USERS): a source that cannot be reached at all. 0 turns this check off.
   * @default 5
   */
  firstUsers: number;
  /**
   * The run stops when this many users in a row failed on the same connection-level error
   * (CIRCUIT_USERS): the source went away mid-run. 0 turns this check off.
   * @default 100
   */
  usersInARow: number;
}

/**
 * Watches finished users for a streak of failures on one connection-level error at one host
 * (SourceError's `connection`: DNS, refused, TLS; users on other hosts that work break a streak). Users of the current streak are held back, not stored: if the
 * streak trips the breaker they get no row (the next run redoes them, their attempts uncounted); if a
 * user then reaches the source, they are released and stored as `failed`, as they would have been.
 * So at most `max(firstUsers, usersInARow)` results are held, each without accounts.
 */
export class CircuitBreaker {
  private readonly options: CircuitBreakerOptions;
  private held: UserResult[] = [];
  private finished = 0;
  private tripped: CircuitOpenError | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.options = options;
  }

  /** The error that opened the circuit, once it has. */
  get open(): CircuitOpenError | undefined {
    return this.tripped;
  }

  /**
   * Takes a finished user's result and returns the results to store now, in order: none while a
   * streak holds them (or once the circuit is open), else the held ones and this one.
   */
  pass(result: UserResult): UserResult[] {
    if (this.tripped) return [];
    this.finished++;
    const connection = result.status === 'failed' ? result.connection : undefined;
    if (connection === undefined) return this.release(result);
    const released = this.held.length > 0 && this.held[0]!.connection !== connection ? this.release() : [];
    this.held.push(result);
    const streak = this.held.length;
    const { firstUsers, usersInARow } = this.options;
    const atStart = firstUsers > 0 && streak >= firstUsers && streak === this.finished;
    if (atStart || (usersInARow > 0 && streak >= usersInARow)) {
      this.tripped = new CircuitOpenError(
        connection,
        streak,
        `${atStart ? `the first ${streak} users` : `${streak} users in a row`} failed on ${connection} (${result.error ?? 'connection error'}); ` +
          'stopping: the source cannot be reached (check SOURCE_URL and the network); users without a row are collected by the next run',
      );
      this.held = [];
      return released;
    }
    return released;
  }

  /** The results still held when the run ends without the circuit opening: stored as they are. */
  drain(): UserResult[] {
    return this.tripped ? [] : this.release();
  }

  private release(last?: UserResult): UserResult[] {
    const out = last ? [...this.held, last] : this.held;
    this.held = [];
    return out;
  }
}
