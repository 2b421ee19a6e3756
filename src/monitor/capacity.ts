import type { Tier } from './tiers.ts';

/** Billing month the tiers' prices are for; a run is billed for the days it takes (Heroku bills by the second). */
export const DAYS_PER_MONTH = 30;

export interface CapacityInput {
  /** Users to collect. */
  users: number;
  /** Users per hour one worker collects. */
  rate: number;
  /** Threads the rate was measured with, when known: a tier allowing fewer scales the rate down. */
  rateThreads?: number | undefined;
  /** Worker counts to tabulate. */
  workers: readonly number[];
  tiers: readonly Tier[];
  deadlineDays?: number | undefined;
  budget?: number | undefined;
  /** Largest fleet the recommendation considers. */
  maxWorkers?: number;
}

export interface ClockRow {
  workers: number;
  users_per_day: number;
  days: number;
}

export interface CostRow {
  tier: string;
  workers: number;
  users_per_hour_per_worker: number;
  days: number;
  cost: number;
}

export interface Recommendation {
  tier: string;
  workers: number;
  days: number;
  cost: number;
}

export interface CapacityPlan {
  clock: ClockRow[];
  cost: CostRow[];
  /**
   * The cheapest configuration meeting the deadline and budget; on a tie (cost grows with workers × days,
   * so adding workers rarely changes it) the fewest workers. Undefined without a deadline or budget.
   */
  recommendation: Recommendation | undefined;
  /** When nothing meets both: what fails, with the nearest options. */
  why_none?: string | undefined;
}

/** A tier's rate per worker: the measured rate, scaled down when the tier allows fewer threads. */
export function tierRate(tier: Tier, rate: number, rateThreads: number | undefined): number {
  return rateThreads === undefined || tier.max_threads >= rateThreads ? rate : (rate * tier.max_threads) / rateThreads;
}

function option(tier: Tier, workers: number, input: CapacityInput): CostRow {
  const rate = tierRate(tier, input.rate, input.rateThreads);
  const days = input.users / (rate * 24 * workers);
  return { tier: tier.tier, workers, users_per_hour_per_worker: rate, days, cost: (tier.price_per_month * workers * days) / DAYS_PER_MONTH };
}

/**
 * The reference's planning by hand, as a table: clock time for each worker count (users per day, days),
 * cost for each tier and worker count, and the cheapest configuration that meets a deadline and budget.
 */
export function planCapacity(input: CapacityInput): CapacityPlan {
  const clock = input.workers.map((w) => ({ workers: w, users_per_day: input.rate * 24 * w, days: input.users / (input.rate * 24 * w) }));
  const allowed = (t: Tier, w: number) => t.max_workers === undefined || w <= t.max_workers;
  const cost = input.tiers.flatMap((t) => input.workers.filter((w) => allowed(t, w)).map((w) => option(t, w, input)));
  const candidates: CostRow[] = [];
  for (const t of input.tiers) for (let w = 1; w <= (input.maxWorkers ?? 100); w++) if (allowed(t, w)) candidates.push(option(t, w, input));
  if (input.deadlineDays === undefined && input.budget === undefined) {
    return { clock, cost, recommendation: undefined, why_none: 'give a deadline and/or a budget to get a recommendation' };
  }
  const cents = (c: CostRow) => Math.round(c.cost * 100);
  const fits = candidates.filter((c) => (input.deadlineDays === undefined || c.days <= input.deadlineDays) && (input.budget === undefined || c.cost <= input.budget));
  fits.sort((a, b) => cents(a) - cents(b) || a.workers - b.workers || a.days - b.days);
  const best = fits[0];
  let whyNone: string | undefined;
  if (!best) {
    const fastest = [...candidates].sort((a, b) => a.days - b.days)[0]!;
    const withinBudget = candidates.filter((c) => input.budget === undefined || c.cost <= input.budget).sort((a, b) => a.days - b.days)[0];
    whyNone =
      `no tier and fleet of up to ${input.maxWorkers ?? 100} workers meets both: the fastest is ${fastest.workers} × ${fastest.tier} ` +
      `(${fastest.days.toFixed(1)} days, $${fastest.cost.toFixed(0)})` +
      (withinBudget ? `; the fastest within budget is ${withinBudget.workers} × ${withinBudget.tier} (${withinBudget.days.toFixed(1)} days, $${withinBudget.cost.toFixed(0)})` : '');
  }
  return {
    clock,
    cost,
    recommendation: best && { tier: best.tier, workers: best.workers, days: best.days, cost: best.cost },
    why_none: whyNone,
  };
}
