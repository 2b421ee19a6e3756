import { describe, expect, it } from 'vitest';
import { activitySlots, slotSecondsFor, type Beat } from '../../src/monitor/activity.ts';

const T0 = Date.UTC(2026, 0, 1, 10);
const s = (seconds: number) => new Date(T0 + seconds * 1000);
function beat(over: Partial<Beat> & Pick<Beat, 'beat_at'>): Beat {
  return { run_id: 'r1', worker: 'w1', started_at: s(0), users_done: 0, requests: 0, rate_limited: 0, rate_limit_wait_ms: 0, ...over };
}

describe('activity from heartbeats', () => {
  it('sizes slots to the span: 1 s for seconds, minutes for hours, a day at most', () => {
    expect(slotSecondsFor(20)).toBe(1);
    expect(slotSecondsFor(61)).toBe(2);
    expect(slotSecondsFor(3600)).toBe(60);
    expect(slotSecondsFor(10 * 86_400)).toBe(21_600);
    expect(slotSecondsFor(1000 * 86_400)).toBe(86_400);
  });

  it('spreads the growth between two heartbeats evenly over the slots it covers, from the run start', () => {
    // Two heartbeats 30 s apart over a 60 s span: 1 s slots, each gets its share of the 30 s interval.
    const slots = activitySlots(
      [
        beat({ beat_at: s(30), users_done: 30, requests: 60, rate_limited: 3, rate_limit_wait_ms: 15_000 }),
        beat({ beat_at: s(60), users_done: 90, requests: 120, rate_limited: 3, rate_limit_wait_ms: 15_000 }),
      ],
      s(-3600),
    );
    expect(new Set(slots.map((x) => x.slot_seconds))).toEqual(new Set([1]));
    const first = slots.find((x) => x.slot_start === s(0).toISOString())!;
    expect(first).toMatchObject({ worker: 'w1', users: 1, requests: 2, rate_limited: 0.1, rate_limit_wait_seconds: 0.5 });
    const later = slots.find((x) => x.slot_start === s(45).toISOString())!;
    expect(later).toMatchObject({ users: 2, requests: 2, rate_limited: 0, rate_limit_wait_seconds: 0 });
    expect(slots.reduce((a, x) => a + x.users, 0)).toBeCloseTo(90, 9);
  });

  it('takes the first heartbeat in the window as the baseline of a run that started before it', () => {
    const slots = activitySlots([beat({ started_at: s(-7200), beat_at: s(0), users_done: 5000 }), beat({ started_at: s(-7200), beat_at: s(10), users_done: 5010 })], s(-60));
    expect(slots.reduce((a, x) => a + x.users, 0)).toBeCloseTo(10, 9);
    expect(slots.map((x) => x.slot_start)[0]).toBe(s(0).toISOString());
  });

  it('gives every worker every slot, zero where it did nothing, and counts a counter that went back as no growth', () => {
    const slots = activitySlots(
      [
        beat({ beat_at: s(2), users_done: 2 }),
        beat({ run_id: 'r2', worker: 'w2', started_at: s(8), beat_at: s(10), users_done: 4 }),
        beat({ run_id: 'r2', worker: 'w2', started_at: s(8), beat_at: s(11), users_done: 1 }),
      ],
      s(-60),
    );
    const byWorker = (w: string) => slots.filter((x) => x.worker === w);
    expect(byWorker('w1').map((x) => x.slot_start)).toEqual(byWorker('w2').map((x) => x.slot_start));
    expect(byWorker('w1').map((x) => x.users)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(byWorker('w2').map((x) => x.users)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0]);
  });

  it('is empty without heartbeats', () => {
    expect(activitySlots([], s(0))).toEqual([]);
  });
});
