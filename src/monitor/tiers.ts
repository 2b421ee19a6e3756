/** A server tier a worker can run on. */
export interface Tier {
  tier: string;
  memory_mb: number;
  /** Threads (concurrent users) the tier allows a process. */
  max_threads: number;
  price_per_month: number;
  /** Workers of this tier one account may run, when limited. */
  max_workers?: number | undefined;
}

/**
 * Heroku's dyno tiers as the reference run priced them (REFERENCE-RUN.md, "Server tiers considered").
 * The free tier ran on an account's shared pool of free dyno hours, about one dyno's month, hence one
 * worker at most. Override with `plan --tiers FILE`.
 */
export const REFERENCE_TIERS: readonly Tier[] = [
  { tier: 'free', memory_mb: 512, max_threads: 256, price_per_month: 0, max_workers: 1 },
  { tier: 'hobby', memory_mb: 512, max_threads: 256, price_per_month: 7 },
  { tier: 'standard-1x', memory_mb: 512, max_threads: 256, price_per_month: 25 },
  { tier: 'standard-2x', memory_mb: 1024, max_threads: 512, price_per_month: 50 },
  { tier: 'performance-m', memory_mb: 2560, max_threads: 16_384, price_per_month: 250 },
  { tier: 'performance-l', memory_mb: 14_336, max_threads: 32_768, price_per_month: 500 },
];
