import { describe, expect, it } from 'vitest';
import { planCapacity, tierRate } from '../../src/monitor/capacity.ts';
import { REFERENCE_TIERS } from '../../src/monitor/tiers.ts';

describe('planCapacity', () => {
  it('says 10 days for 3.6M users at 1,500 users/hour on 10 workers, as the reference computed', () => {
    const plan = planCapacity({ users: 3_600_000, rate: 1500, workers: [10], tiers: REFERENCE_TIERS });
    expect(plan.clock).toEqual([{ workers: 10, users_per_day: 360_000, days: 10 }]);
    const standard = plan.cost.find((c) => c.tier === 'standard-1x')!;
    expect(standard).toEqual({ tier: 'standard-1x', workers: 10, users_per_hour_per_worker: 1500, days: 10, cost: (25 * 10 * 10) / 30 });
    expect(plan.cost.some((c) => c.tier === 'free')).toBe(false); // one free dyno per account
    expect(plan.recommendation).toBeUndefined();
  });

  it('scales the rate down on tiers that allow fewer threads than it was measured with', () => {
    expect(tierRate(REFERENCE_TIERS[2]!, 1500, 512)).toBe(750);
    expect(tierRate(REFERENCE_TIERS[3]!, 1500, 512)).toBe(1500);
    expect(tierRate(REFERENCE_TIERS[2]!, 1500, undefined)).toBe(1500);
  });

  it('recommends the cheapest configuration that meets deadline and budget, with the fewest workers', () => {
    const plan = planCapacity({ users: 3_600_000, rate: 1500, rateThreads: 250, workers: [10], tiers: REFERENCE_TIERS, deadlineDays: 10, budget: 200 });
    expect(plan.recommendation).toEqual({ tier: 'hobby', workers: 10, days: 10, cost: (7 * 10 * 10) / 30 });
    // Without hobby, standard-1x at the same pace.
    const noHobby = planCapacity({ users: 3_600_000, rate: 1500, workers: [10], tiers: REFERENCE_TIERS.filter((t) => t.tier !== 'hobby'), deadlineDays: 10, budget: 200 });
    expect(noHobby.recommendation).toMatchObject({ tier: 'standard-1x', workers: 10 });
  });

  it('explains when nothing fits', () => {
    const plan = planCapacity({ users: 3_600_000, rate: 1500, workers: [10], tiers: REFERENCE_TIERS, deadlineDays: 5, budget: 20 });
    expect(plan.recommendation).toBeUndefined();
    expect(plan.why_none).toMatch(/^no tier and fleet of up to 100 workers meets both: the fastest is 100 × hobby \(1\.0 days, \$23\)/);
  });
});
