import type { Logger } from 'pino';
import { LocalBudget, type RequestBudget } from '../collector/budget.ts';
import { FleetBudget } from '../collector/fleet-budget.ts';
import type { Settings } from '../config/load.ts';
import { ConfigError } from '../errors.ts';

export type BudgetSettings = Settings<'rateLimit' | 'rateWindow' | 'rateLimitRedisUrl' | 'rateLimitId' | 'rateLimitWorkers' | 'sourceUrl'>;

/**
 * Checks, before any work, that a budget shared through Redis has what it needs: the fleet's budget
 * (RATE_LIMIT) and the number of workers sharing it (RATE_LIMIT_WORKERS, else the bucket count), which
 * sets each worker's local share while Redis is away. Returns that number, or undefined without Redis.
 */
export function sharingWorkers(settings: BudgetSettings, buckets: number | undefined): number | undefined {
  if (!settings.rateLimitRedisUrl) return undefined;
  if (settings.rateLimit === undefined) {
    throw new ConfigError('RATE_LIMIT', 'RATE_LIMIT_REDIS_URL shares one budget among workers: set RATE_LIMIT, the budget of the whole fleet');
  }
  const workers = settings.rateLimitWorkers ?? buckets;
  if (workers === undefined) {
    throw new ConfigError('RATE_LIMIT_WORKERS', 'RATE_LIMIT_REDIS_URL needs the number of workers sharing the budget (each one\'s share while Redis is away): set RATE_LIMIT_WORKERS, or collect a numbered bucket');
  }
  return workers;
}

/** The worker's budget: the fleet's, through Redis, when RATE_LIMIT_REDIS_URL is set; else its own. */
export function createBudget(settings: BudgetSettings, source: string, workers: number | undefined, log: Logger): RequestBudget {
  if (!settings.rateLimitRedisUrl || workers === undefined) return new LocalBudget({ limit: settings.rateLimit, windowMs: settings.rateWindow! });
  const host = settings.sourceUrl ? new URL(settings.sourceUrl).host : 'default';
  return new FleetBudget({
    redisUrl: settings.rateLimitRedisUrl,
    id: settings.rateLimitId ?? `friendfleet:${source}:${host}`,
    limit: settings.rateLimit!,
    windowMs: settings.rateWindow!,
    workers,
    log,
  });
}
