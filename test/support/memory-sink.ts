import { SinkError } from '../../src/core/errors.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../../src/sinks/row.ts';
import type { Sink } from '../../src/sinks/sink.ts';

/** A sink that keeps what it is given in arrays; `failWrites` makes every row write fail as a broken warehouse does. */
export class MemorySink implements Sink {
  readonly description = 'memory:';
  readonly rows: UserFriendsRow[] = [];
  readonly runs: RunRecord[] = [];
  readonly heartbeats: HeartbeatRow[] = [];
  failWrites = false;
  closed = false;

  async open(): Promise<void> {}
  async writeRun(run: RunRecord): Promise<void> {
    if (this.failWrites) throw new SinkError('the warehouse is gone');
    this.runs.push(run);
  }
  async writeHeartbeat(beat: HeartbeatRow): Promise<void> {
    this.heartbeats.push(beat);
  }
  async write(row: UserFriendsRow): Promise<void> {
    if (this.failWrites) throw new SinkError('the warehouse is gone');
    this.rows.push(row);
  }
  async flush(): Promise<void> {}
  async completedUserIds(source: string): Promise<Set<string>> {
    return new Set(this.rows.filter((r) => r.source === source && r.status !== 'failed').map((r) => r.user_id));
  }
  async writePlan(): Promise<void> {}
  async latestPlan(): Promise<never[]> {
    return [];
  }
  async collectedWork(): Promise<never[]> {
    return [];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
