import { SOURCE_BUDGETS, SOURCE_PAGE_SIZES } from '../sources/registry.ts';
import type { SourceName } from '../sources/source.ts';

/** A finished run whose rate `plan` may use, with what says where it ran. */
export interface MeasuredRun {
  runId: string;
  source: SourceName;
  /** The run's SOURCE_URL; undefined: the source's real service. */
  sourceUrl: string | undefined;
  usersPerHour: number;
  threads: number | undefined;
  tier: string | null;
  /** Pages per finished user in that run, when it finished any. */
  pagesPerUser: number | undefined;
}

/** The rate a plan projects, and a sentence saying where it came from. */
export interface RateBasis {
  rate: number;
  /** Threads the rate was measured with (a tier allowing fewer scales it down); none for a budget bound. */
  threads: number | undefined;
  /** Where the rate came from, for the plan's first line and its JSON `rate_source`. */
  description: string;
  /** What a reader must know about the rate, or undefined. */
  warning: string | undefined;
}

/** The default cap on accounts per user (MAX_FRIENDS): with no better figure, every user is taken to reach it. */
const DEFAULT_MAX_FRIENDS = 2000;

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/;

/**
 * Whether a run collected from the sim rather than a real service: twitter-html exists only there, and
 * a SOURCE_URL on this machine's loopback is a local server. (A private address may be a real mirror.)
 */
export function ranOnSim(run: Pick<MeasuredRun, 'source' | 'sourceUrl'>): boolean {
  if (run.source === 'twitter-html') return true;
  if (run.sourceUrl === undefined) return false;
  try {
    return LOOPBACK.test(new URL(run.sourceUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * The most users an hour one worker can collect from a real source within its documented budget
 * (requests per window per credential, sources/registry.ts) at `pagesPerUser` requests a user; undefined
 * for a source that documents none.
 */
export function budgetBound(source: SourceName, pagesPerUser: number): { rate: number; why: string } | undefined {
  const { limit, windowMs } = SOURCE_BUDGETS[source];
  if (limit === undefined) return undefined;
  const perHour = (limit * 3_600_000) / windowMs;
  const rate = perHour / pagesPerUser;
  return { rate, why: `${source}'s budget: ${limit} requests per ${windowMs / 60_000} min ÷ ${round(pagesPerUser)} pages per user` };
}

/** Pages a user takes at the default cap: the figure to plan with when nothing better is known. */
export function pagesAtCap(source: SourceName): number {
  return Math.ceil(DEFAULT_MAX_FRIENDS / SOURCE_PAGE_SIZES[source]);
}

/**
 * The rate `plan` projects for a collection from `target` (undefined: the measured run's source), from
 * the newest finished run in the warehouse (`measured`, of any source). A run on the sim is the sim's
 * rate (no real delay or limit): it is said so, and never projected onto a real source. For a real
 * source, the bound is its budget, unless a run on that real source measured less.
 */
export function chooseRate(measured: MeasuredRun | undefined, target: SourceName | undefined, pagesPerUser: number | undefined): RateBasis {
  const where = (run: MeasuredRun) =>
    `measured in run ${run.runId}${run.tier ? ` on ${run.tier}` : ''}, ${run.source} ${ranOnSim(run) ? `on the sim${run.sourceUrl ? ` at ${run.sourceUrl}` : ''}` : `at ${run.sourceUrl ?? 'its real service'}`}`;
  const source = target ?? measured?.source;
  if (source === undefined) throw new RangeError('chooseRate needs a measured run or a target source');
  if (measured && measured.source === source && (source === 'twitter-html' || (target === undefined && ranOnSim(measured)))) {
    // The plan is for what was measured: the sim's rate, said to be one.
    return {
      rate: measured.usersPerHour,
      threads: measured.threads,
      description: where(measured),
      warning: ranOnSim(measured)
        ? "this rate is the sim's (no real delay or rate limit), not a real source's: pass --source bluesky or twitter-api to plan a real collection by its budget"
        : undefined,
    };
  }
  const pages = pagesPerUser ?? (measured && measured.source === source && !ranOnSim(measured) ? measured.pagesPerUser : undefined) ?? pagesAtCap(source);
  const bound = budgetBound(source, pages);
  const fromSim = measured && ranOnSim(measured) ? `run ${measured.runId} ran on the sim (${Math.round(measured.usersPerHour)} users/hour, no real delay or limit): not used for ${source}` : undefined;
  if (measured && measured.source === source && !ranOnSim(measured) && (bound === undefined || measured.usersPerHour <= bound.rate)) {
    return { rate: measured.usersPerHour, threads: measured.threads, description: where(measured), warning: undefined };
  }
  if (!bound) throw new RangeError(`${source} documents no budget and no run on it was measured: pass --rate`);
  const pagesNote = pagesPerUser === undefined && pages === pagesAtCap(source) ? ` (every user at the ${DEFAULT_MAX_FRIENDS.toLocaleString('en-US')} cap; pass --pages-per-user for your users)` : '';
  const measuredMore = measured && measured.source === source && !ranOnSim(measured) ? `; run ${measured.runId} measured more (${Math.round(measured.usersPerHour)} users/hour)` : '';
  return { rate: bound.rate, threads: undefined, description: `bound by ${bound.why}${pagesNote}${measuredMore}`, warning: fromSim };
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
