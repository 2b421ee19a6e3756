import type { Logger } from 'pino';
import type { RequestBudget } from '../collector/budget.ts';
import { createBudget as localBudget } from '../collector/credential-budgets.ts';
import type { Settings } from '../config/load.ts';
import type { SourceSetup } from '../config/source-settings.ts';
import { ConfigError } from '../core/errors.ts';
import { DEFAULT_SOURCE_URLS } from '../sources/registry.ts';

export type BudgetSettings = Settings<'rateLimit' | 'rateLimitRedisUrl' | 'rateLimitId' | 'rateLimitWorkers'>;

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

/**
 * The worker's budget: the fleet's, through Redis, when RATE_LIMIT_REDIS_URL is set (one shared
 * limiter a credential); else its own, one lane a credential (see credential-budgets.ts).
 */
export async function createBudget(settings: BudgetSettings, setup: SourceSetup, credentials: number, workers: number | undefined, log: Logger): Promise<RequestBudget> {
  if (!settings.rateLimitRedisUrl || workers === undefined) return localBudget(credentials, setup.budget);
  // Loaded only with Redis: ioredis and its dependencies would otherwise sit in every worker's heap.
  const { FleetBudget, FleetCredentialBudgets } = await import('../collector/fleet-budget.ts');
  const host = new URL(setup.source.baseUrl ?? DEFAULT_SOURCE_URLS[setup.source.name]).host;
  const id = settings.rateLimitId ?? `friendfleet:${setup.source.name}:${host}`;
  // Every worker lists the same tokens in the same order, so credential k has the same limiter everywhere.
  const lanes = Array.from(
    { length: credentials },
    (_, k) =>
      new FleetBudget({
        redisUrl: settings.rateLimitRedisUrl!,
        id: credentials === 1 ? id : `${id}:credential-${k + 1}`,
        limit: settings.rateLimit!,
        windowMs: setup.budget.windowMs,
        workers,
        log: credentials === 1 ? log : log.child({ credential: k + 1 }),
      }),
  );
  return credentials === 1 ? lanes[0]! : new FleetCredentialBudgets(lanes);
}
