import { describe, expect, it } from 'vitest';
import { progressFigures, renderBar } from '../../src/monitor/progress.ts';
import type { StatsSnapshot } from '../../src/collector/stats.ts';

const snapshot: StatsSnapshot = {
  elapsedMs: 120_000,
  usersPlanned: 400,
  usersStarted: 110,
  usersDone: 100,
  usersSaved: 90,
  byStatus: { ok: 95, protected: 3, not_found: 1, suspended: 1, failed: 0 },
  friends: 60_000,
  pages: 3100,
  requests: 3240,
  retries: 12,
  rateLimited: 7,
  rateLimitWaitMs: 0,
  deadLetters: 0,
  okWithExpected: 0,
  shortLists: 0,
  rssMb: 140,
};

describe('collect progress figures', () => {
  it('computes users done of the bucket, rates, 429s and the ETA from one snapshot', () => {
    expect(progressFigures(snapshot)).toEqual({
      done: 100,
      planned: 400,
      percent: 25,
      usersPerHour: 3000,
      friendsPerSecond: 500,
      requestsPerSecond: 27,
      rateLimited: 7,
      // 300 users left at 100 users per 2 minutes
      etaMs: 360_000,
      rssMb: 140,
    });
  });

  it('draws them on one line', () => {
    expect(renderBar(progressFigures(snapshot), 8)).toBe('[##------] 100/400 users 25% | 3000 users/h | 500 friends/s | 27.0 req/s | 429s 7 | ETA 6m00s');
  });

  it('has no ETA before the first user is done', () => {
    expect(progressFigures({ ...snapshot, usersDone: 0, friends: 0 }).etaMs).toBeUndefined();
  });
});
