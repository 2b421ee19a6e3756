import Queue from 'yocto-queue';
import { SinkError } from '../core/errors.ts';

export interface RowBufferOptions<T> {
  /**
   * Stores a batch durably; a rejection fails the buffer for good. Resolves with the rows it stored
   * when that is not all of them (a store may set invalid rows aside); only those are acknowledged.
   */
  insert: (rows: T[]) => Promise<void | readonly T[]>;
  /** Called with rows once `insert` stored them. */
  onAcknowledged?: ((rows: readonly T[]) => void) | undefined;
  /** Rows held before `write` waits (backpressure). */
  maxBufferedRows: number;
  /** Rows that start an insert without waiting for the timer. */
  flushRows: number;
  /**
   * Size of a row (bytes, as the store will send it), with `maxBufferedBytes`: for stores whose rows
   * vary a thousandfold (a user with 2,000 friends is ~80 KB of JSON), a row count alone bounds
   * nothing. Without them only rows are counted.
   */
  sizeOf?: (row: T) => number;
  /** Bytes held before `write` waits; an insert starts at half of it. */
  maxBufferedBytes?: number;
  /** Longest time a row waits before an insert starts. */
  flushIntervalMs: number;
  /** Turns an insert failure into the SinkError every later call reports. */
  describeFailure: (error: unknown) => SinkError;
}

/**
 * A sink's write path: rows wait in a bounded buffer and are stored in batches, one insert at a time.
 * `write` resolves at once while there is room and otherwise only when an insert has taken rows out,
 * so a slow store slows its writers instead of growing memory (at most two buffers' worth: the one
 * filling and the one being inserted). Rows are acknowledged only after their insert succeeded; after
 * a failed insert every call rejects with the same SinkError.
 */
export class RowBuffer<T> {
  private readonly options: RowBufferOptions<T>;
  private buffer: T[] = [];
  private bufferedBytes = 0;
  private inserting: Promise<void> | undefined;
  private readonly waiters = new Queue<{ resolve: () => void; reject: (error: unknown) => void }>();
  private failed: SinkError | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RowBufferOptions<T>) {
    this.options = options;
  }

  get failure(): SinkError | undefined {
    return this.failed;
  }

  /** Rows not yet stored (buffered, or in the insert under way). */
  get pending(): number {
    return this.buffer.length;
  }

  start(): void {
    this.timer = setInterval(() => this.startInsert(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  write(row: T): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.buffer.push(row);
    if (this.options.sizeOf) this.bufferedBytes += this.options.sizeOf(row);
    if (this.hasRoom()) {
      if (this.buffer.length >= this.options.flushRows || this.bufferedBytes >= (this.options.maxBufferedBytes ?? Infinity) / 2) this.startInsert();
      return Promise.resolve();
    }
    // Full: wait for an insert to take the rows. The waiter goes in first, since an insert started
    // here takes the rows (and releases waiters) at once; a waiter added after that would wait for a
    // later write that may never come (the last users of a run hung so).
    const room = new Promise<void>((resolve, reject) => this.waiters.enqueue({ resolve, reject }));
    this.startInsert();
    return room;
  }

  private hasRoom(): boolean {
    return this.buffer.length < this.options.maxBufferedRows && this.bufferedBytes < (this.options.maxBufferedBytes ?? Infinity);
  }

  /** Resolves when every row written so far is stored; rejects if the buffer failed. */
  async flush(): Promise<void> {
    while (this.inserting || this.buffer.length > 0) {
      if (this.failed) throw this.failed;
      this.startInsert();
      await this.inserting;
    }
    if (this.failed) throw this.failed;
  }

  private startInsert(): void {
    if (this.inserting || this.buffer.length === 0 || this.failed) return;
    this.inserting = this.insertLoop().finally(() => {
      this.inserting = undefined;
    });
  }

  private async insertLoop(): Promise<void> {
    while (this.buffer.length > 0 && !this.failed) {
      const batch = this.buffer;
      this.buffer = [];
      this.bufferedBytes = 0;
      this.releaseWaiters();
      let stored: void | readonly T[];
      try {
        stored = await this.options.insert(batch);
      } catch (error) {
        this.failed = this.options.describeFailure(error);
        for (const w of this.waiters.drain()) w.reject(this.failed);
        return;
      }
      this.options.onAcknowledged?.(stored ?? batch);
    }
  }

  /** Writers waiting for room may go on once the buffer is below its bound. */
  private releaseWaiters(): void {
    while (this.waiters.size > 0 && this.hasRoom()) this.waiters.dequeue()!.resolve();
  }
}
