import type { Logger } from 'pino';
import type { BudgetSpec } from '../collector/create-budget.ts';
import type { Settings } from '../config/load.ts';
import type { SourceSetup } from '../config/source-settings.ts';
import { ConfigError } from '../core/errors.ts';

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
    throw new ConfigError(
      'RATE_LIMIT_WORKERS',
      "RATE_LIMIT_REDIS_URL needs the number of workers sharing the budget (each one's share while Redis is away): set RATE_LIMIT_WORKERS, or collect a numbered bucket",
    );
  }
  return workers;
}

/**
 * What the worker's budget is made of (collector/create-budget.ts): a lane per credential, or per host
 * for a source whose users live on different hosts (`byHost`), shared through Redis when
 * RATE_LIMIT_REDIS_URL is set, under the limiter name RATE_LIMIT_ID or one made of the source and its
 * host (per host: the source and each host).
 */
export function budgetSpec(settings: BudgetSettings, setup: SourceSetup, credentials: number, workers: number | undefined, log: Logger, byHost = false): BudgetSpec {
  if (!settings.rateLimitRedisUrl || workers === undefined) return { credentials, local: setup.budget };
  const host = new URL(setup.source.baseUrl).host;
  const id = settings.rateLimitId ?? (byHost ? `friendfleet:${setup.source.name}` : `friendfleet:${setup.source.name}:${host}`);
  return { credentials, local: setup.budget, fleet: { redisUrl: settings.rateLimitRedisUrl, id, limit: settings.rateLimit!, workers, log } };
}
