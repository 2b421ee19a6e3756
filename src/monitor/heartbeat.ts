import type { Logger } from 'pino';
import type { RunStats } from '../collector/stats.ts';
import { toHeartbeat, type RunInfo } from '../sinks/row.ts';
import type { Sink } from '../sinks/sink.ts';

/**
 * Writes the run's counters to the heartbeats table every interval and once at the end, so monitoring
 * sees live throughput. A failed heartbeat is logged, never fatal: rows matter, heartbeats are telemetry.
 */
export class HeartbeatWriter {
  private readonly sink: Sink;
  private readonly stats: RunStats;
  private readonly info: RunInfo;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(options: { sink: Sink; stats: RunStats; info: RunInfo; intervalMs: number; log: Logger }) {
    this.sink = options.sink;
    this.stats = options.stats;
    this.info = options.info;
    this.intervalMs = options.intervalMs;
    this.log = options.log;
  }

  start(): void {
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the clock and writes a last heartbeat. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.beat();
    await this.pending;
  }

  private beat(): void {
    const row = toHeartbeat(this.info, this.stats.snapshot());
    this.pending = this.pending.then(() => this.sink.writeHeartbeat(row)).catch((error: unknown) => this.log.warn({ err: error }, 'heartbeat not written'));
  }
}
