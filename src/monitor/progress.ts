import type { Logger } from 'pino';
import type { RunStats, StatsSnapshot } from '../collector/stats.ts';
import { formatDuration } from './format.ts';

export type ProgressMode = 'bar' | 'log' | 'off';

export interface ProgressFigures {
  done: number;
  planned: number | undefined;
  percent: number | undefined;
  usersPerHour: number;
  friendsPerSecond: number;
  requestsPerSecond: number;
  rateLimited: number;
  etaMs: number | undefined;
  rssMb: number;
}

/** Rates and ETA from a snapshot: the same figures for the bar and the log line. */
export function progressFigures(s: StatsSnapshot): ProgressFigures {
  const seconds = Math.max(s.elapsedMs / 1000, 0.001);
  const usersPerSecond = s.usersDone / seconds;
  const remaining = s.usersPlanned === undefined ? undefined : Math.max(0, s.usersPlanned - s.usersDone);
  return {
    done: s.usersDone,
    planned: s.usersPlanned,
    percent: s.usersPlanned ? (100 * s.usersDone) / s.usersPlanned : undefined,
    usersPerHour: usersPerSecond * 3600,
    friendsPerSecond: s.friends / seconds,
    requestsPerSecond: s.requests / seconds,
    rateLimited: s.rateLimited,
    etaMs: remaining === undefined || usersPerSecond === 0 ? undefined : (remaining / usersPerSecond) * 1000,
    rssMb: s.rssMb,
  };
}

export function renderBar(f: ProgressFigures, width = 24): string {
  const filled = f.percent === undefined ? 0 : Math.round((Math.min(f.percent, 100) / 100) * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const of = f.planned === undefined ? `${f.done}` : `${f.done}/${f.planned}`;
  const pct = f.percent === undefined ? '' : ` ${f.percent.toFixed(0)}%`;
  return (
    `[${bar}] ${of} users${pct} | ${f.usersPerHour.toFixed(0)} users/h | ${f.friendsPerSecond.toFixed(0)} friends/s | ` +
    `${f.requestsPerSecond.toFixed(1)} req/s | 429s ${f.rateLimited} | ETA ${f.etaMs === undefined ? '?' : formatDuration(f.etaMs)}`
  );
}

/**
 * Shows a run's progress: a bar redrawn in place on a terminal, or one structured log line every
 * interval otherwise (Heroku log drains read these).
 */
export class ProgressReporter {
  private readonly stats: RunStats;
  private readonly mode: ProgressMode;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly stream: NodeJS.WriteStream;
  private timer: NodeJS.Timeout | undefined;
  /** Whether the bar is drawn on the current line (no newline after it yet). */
  private midLine = false;

  constructor(stats: RunStats, options: { mode: ProgressMode; intervalMs: number; log: Logger; stream?: NodeJS.WriteStream }) {
    this.stats = stats;
    this.mode = options.mode;
    this.intervalMs = options.mode === 'bar' ? 250 : options.intervalMs;
    this.log = options.log;
    this.stream = options.stream ?? process.stderr;
  }

  start(): void {
    if (this.mode === 'off') return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'bar') {
      this.tick();
      this.endLine();
    } else if (this.mode === 'log') {
      this.tick();
    }
  }

  /**
   * Ends the bar's line, so that what is written next (the stop warning on SIGTERM) starts a line of
   * its own instead of being glued to the bar; the next redraw starts on a new line.
   */
  endLine(): void {
    if (!this.midLine) return;
    this.stream.write('\n');
    this.midLine = false;
  }

  private tick(): void {
    const f = progressFigures(this.stats.snapshot());
    if (this.mode === 'bar') {
      this.stream.write(`\r${renderBar(f)}\x1b[K`);
      this.midLine = true;
    } else this.log.info({ progress: f }, 'progress');
  }
}
