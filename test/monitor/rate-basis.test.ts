/**
 * Issue 15 §6: plan took a sim trial's 111,026 users/hour and recommended one free dyno for 3.6 M users
 * without saying the rate came from a simulated source with no delay and no limit.
 */
import { describe, expect, it } from 'vitest';
import { budgetBound, chooseRate, ranOnSim, type MeasuredRun } from '../../src/monitor/rate-basis.ts';

const simTrial: MeasuredRun = { runId: 'run-sim', source: 'twitter-html', sourceUrl: 'http://127.0.0.1:4000', usersPerHour: 111_026, threads: 50, tier: null, pagesPerUser: 39 };
const realBluesky: MeasuredRun = { runId: 'run-real', source: 'bluesky', sourceUrl: undefined, usersPerHour: 900, threads: 50, tier: 'standard-1x', pagesPerUser: 4 };

describe("where the plan's rate comes from", () => {
  it('tells the sim from a real service', () => {
    expect(ranOnSim(simTrial)).toBe(true);
    expect(ranOnSim({ source: 'bluesky', sourceUrl: 'http://localhost:8080' })).toBe(true);
    expect(ranOnSim({ source: 'bluesky', sourceUrl: 'http://[::1]:8080' })).toBe(true);
    expect(ranOnSim({ source: 'bluesky', sourceUrl: undefined })).toBe(false);
    expect(ranOnSim({ source: 'bluesky', sourceUrl: 'https://bsky.mirror.example.org' })).toBe(false);
  });

  it("a sim trial planned as it is: its rate, named as the sim's, with a warning", () => {
    const basis = chooseRate(simTrial, undefined, undefined);
    expect(basis.rate).toBe(111_026);
    expect(basis.threads).toBe(50);
    expect(basis.description).toBe('measured in run run-sim, twitter-html on the sim at http://127.0.0.1:4000');
    expect(basis.warning).toMatch(/^this rate is the sim's/);
  });

  it('never projects a sim rate onto a real source: the budget bounds it, and the plan says why', () => {
    const basis = chooseRate(simTrial, 'bluesky', undefined);
    // 3,000 requests per 5 minutes is 36,000 an hour; 20 pages a user at the 2,000 cap.
    expect(basis.rate).toBe(1800);
    expect(basis.threads).toBeUndefined();
    expect(basis.description).toMatch(/^bound by bluesky's budget: 3000 requests per 5 min ÷ 20 pages per user \(every user at the 2,000 cap/);
    expect(basis.warning).toBe('run run-sim ran on the sim (111026 users/hour, no real delay or limit): not used for bluesky');
    expect(chooseRate(undefined, 'twitter-api', 1).rate).toBe(1200);
  });

  it('a run on the real source counts when it measured less than the budget, else the budget bounds it', () => {
    // Its own pages per user: 36,000 / 4 = 9,000 users/hour allowed; it measured 900.
    expect(chooseRate(realBluesky, 'bluesky', undefined)).toEqual({ rate: 900, threads: 50, description: 'measured in run run-real on standard-1x, bluesky at its real service', warning: undefined });
    const fast = { ...realBluesky, usersPerHour: 20_000 };
    const bounded = chooseRate(fast, 'bluesky', undefined);
    expect(bounded.rate).toBe(9000);
    expect(bounded.description).toBe("bound by bluesky's budget: 3000 requests per 5 min ÷ 4 pages per user; run run-real measured more (20000 users/hour)");
    expect(chooseRate(fast, undefined, undefined).rate).toBe(9000);
  });

  it('a source without a documented budget and no run on it needs --rate', () => {
    expect(budgetBound('twitter-html', 10)).toBeUndefined();
    expect(() => chooseRate(realBluesky, 'twitter-html', undefined)).toThrow(/documents no budget.*--rate/);
  });
});
