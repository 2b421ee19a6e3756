import { describe, expect, it } from 'vitest';
import { describeBuckets, describeRun } from '../../src/monitor/run-summary.ts';

describe('describeRun: the human line at the end of collect and fleet', () => {
  it('gives users by status, friends, pages, elapsed time and users/hour', () => {
    const totals = { byStatus: { ok: 323, protected: 5, not_found: 5, suspended: 1, failed: 0 }, friends: 260_297, pages: 13_152, elapsedMs: 19_273 };
    expect(describeRun('friendfleet: run finished', totals)).toBe(
      'friendfleet: run finished: 334 users (323 ok, 5 protected, 5 not_found, 1 suspended, 0 failed), 260,297 friends, 13,152 pages in 19.3 s, 62,388 users/hour',
    );
  });

  it('says minutes and hours for long runs, and no rate before any time passed', () => {
    const none = { ok: 0, protected: 0, not_found: 0, suspended: 0, failed: 0 };
    expect(describeRun('x', { byStatus: { ...none, ok: 10 }, friends: 0, pages: 10, elapsedMs: 600_000 })).toMatch(/in 10\.0 min, 60 users\/hour$/);
    expect(describeRun('x', { byStatus: { ...none, ok: 10 }, friends: 0, pages: 10, elapsedMs: 36_000_000 })).toMatch(/in 10\.0 h, 1 users\/hour$/);
    expect(describeRun('x', { byStatus: none, friends: 0, pages: 0, elapsedMs: 0 })).toMatch(/in 0\.0 s, users\/hour unknown$/);
  });
});

describe("describeBuckets: a fleet's progress on a terminal", () => {
  it('gives a line per bucket, with its share once its plan is known', () => {
    expect(
      describeBuckets(
        [
          { partition: 1, done: 120, planned: 300 },
          { partition: 2, done: 1500, planned: 1500 },
          { partition: 4, done: 0, planned: Number.NaN },
        ],
        4,
      ),
    ).toEqual(['bucket 1/4: 120/300 users (40%)', 'bucket 2/4: 1,500/1,500 users (100%)', 'bucket 4/4: 0 users']);
  });
});
