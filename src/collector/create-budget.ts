import type { Logger } from 'pino';
import { UsageError } from '../core/errors.ts';
import { LocalBudget, type BudgetOptions, type LaneBudget, type RequestBudget } from './budget.ts';
import { Lanes } from './lanes.ts';

/** A budget shared by every worker of a fleet through Redis (RATE_LIMIT_REDIS_URL). */
export interface FleetSharing {
  redisUrl: string;
  /** The limiter's name (RATE_LIMIT_ID); a lane of several credentials adds `:credential-k`. */
  id: string;
  /** Requests per window for the whole fleet, per credential (RATE_LIMIT). */
  limit: number;
  /** Workers sharing it (RATE_LIMIT_WORKERS): each one's share while Redis is away. */
  workers: number;
  log: Logger;
}

export interface BudgetSpec {
  /** The source's credentials: one lane each, taken in turn. */
  credentials: number;
  /** Each lane's window: RATE_LIMIT/RATE_WINDOW, else the source's documented budget. */
  local: BudgetOptions;
  /** When set, each lane is shared with the fleet through Redis instead of kept by this worker alone. */
  fleet?: FleetSharing | undefined;
}

/**
 * The worker's budget: one lane per source credential, each a `LocalBudget`, or a `FleetBudget` when
 * the fleet shares the budget through Redis.
 */
export async function createBudget(spec: BudgetSpec): Promise<RequestBudget> {
  if (!Number.isInteger(spec.credentials) || spec.credentials < 1) throw new UsageError('at least one credential is needed');
  const keys = Array.from({ length: spec.credentials }, (_, k) => k);
  const fleet = spec.fleet;
  if (!fleet) return new Lanes<number>({ keys, open: (_, onAvailable) => new LocalBudget({ ...spec.local, onAvailable }) });
  // Loaded only with Redis: ioredis and its dependencies would otherwise sit in every worker's heap.
  const { FleetBudget } = await import('./fleet-budget.ts');
  const one = spec.credentials === 1;
  // Every worker lists the same tokens in the same order, so credential k has the same limiter everywhere.
  const open = (k: number, onAvailable: () => void): LaneBudget =>
    new FleetBudget({
      redisUrl: fleet.redisUrl,
      id: one ? fleet.id : `${fleet.id}:credential-${k + 1}`,
      limit: fleet.limit,
      windowMs: spec.local.windowMs,
      workers: fleet.workers,
      log: one ? fleet.log : fleet.log.child({ credential: k + 1 }),
      onAvailable,
    });
  return new Lanes<number>({ keys, open });
}

/**
 * The budget of a source whose users live on different hosts, each counting requests on its own: a
 * lane per host (an origin such as https://morel.us-east.host.bsky.network), opened as requests name
 * it, each starting from `local`'s budget until the host states its own (hosts of `unstated`, which
 * state none, from no limit); shared with the fleet as the limiter `ID:host`. `credentials` is not used.
 */
export async function createHostBudget(spec: BudgetSpec, unstated: readonly string[] = []): Promise<RequestBudget<string>> {
  const fleet = spec.fleet;
  const local = (origin: string, onAvailable: () => void) => new LocalBudget({ ...spec.local, ...(unstated.includes(origin) ? { assumedLimit: undefined } : {}), onAvailable });
  if (!fleet) return new Lanes<string>({ keys: [], openOnDemand: true, open: local });
  const { FleetBudget } = await import('./fleet-budget.ts');
  const open = (origin: string, onAvailable: () => void): LaneBudget => {
    const host = new URL(origin).host;
    return new FleetBudget({
      redisUrl: fleet.redisUrl,
      id: `${fleet.id}:${host}`,
      limit: fleet.limit,
      windowMs: spec.local.windowMs,
      workers: fleet.workers,
      log: fleet.log.child({ host }),
      onAvailable,
    });
  };
  return new Lanes<string>({ keys: [], openOnDemand: true, open });
}
