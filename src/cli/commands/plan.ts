import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadSettings, parseValue } from '../../config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { duration, integer, oneOf } from '../../config/parsers.ts';
import { ConfigError } from '../../core/errors.ts';
import { planCapacity } from '../../monitor/capacity.ts';
import { chooseRate, ranOnSim, type MeasuredRun } from '../../monitor/rate-basis.ts';
import { SOURCE_NAMES, type SourceName } from '../../sources/source.ts';
import { renderTable } from '../../monitor/format.ts';
import { REFERENCE_TIERS, type Tier } from '../../monitor/tiers.ts';
import { openForReading } from '../../sinks/registry.ts';
import { addSettingFlags } from '../options.ts';

const DEFAULT_WORKERS = [1, 2, 5, 10, 20];

const tierFile = z.array(
  z.object({
    tier: z.string().min(1),
    memory_mb: z.number().positive(),
    max_threads: z.number().int().positive(),
    price_per_month: z.number().nonnegative(),
    max_workers: z.number().int().positive().optional(),
  }),
);

function readTiers(path: string): Tier[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('--tiers', `--tiers must be a readable JSON file: ${(error as Error).message}`);
  }
  const parsed = tierFile.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError('--tiers', `--tiers must be a JSON array of {tier, memory_mb, max_threads, price_per_month[, max_workers]}: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

/** Run IDs as friendfleet makes them (run-YYYYMMDDTHHMMSSZ-hex): safe to put in a query as they are. */
const RUN_ID = /^[A-Za-z0-9_.:-]+$/;

/**
 * The newest finished runs in the warehouse with what says where they ran (source, SOURCE_URL): the one
 * `plan` uses is the newest on the target source when one ran on its real service, else the newest.
 */
async function measuredRun(flags: Record<string, unknown>, target: SourceName | undefined): Promise<MeasuredRun | undefined> {
  const db = await openForReading(sinkFrom(loadSettings(SINK_SETTINGS, flags, process.env)));
  try {
    const trials = await db.query(
      `SELECT run_id, source, users_per_hour, threads, tier FROM trial_summary
       WHERE outcome = 'finished' AND users_per_hour IS NOT NULL ORDER BY last_end DESC, run_id LIMIT 20`,
    );
    const ids = trials.map((t) => String(t.run_id)).filter((id) => RUN_ID.test(id));
    const records = ids.length === 0 ? [] : await db.query(`SELECT run_id, settings, users_done, pages FROM runs_latest WHERE run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`);
    const runs = trials.map((t): MeasuredRun => {
      const record = records.find((r) => r.run_id === t.run_id);
      let sourceUrl: string | undefined;
      try {
        sourceUrl = (JSON.parse(String(record?.settings ?? '{}')) as { sourceUrl?: string }).sourceUrl;
      } catch {
        sourceUrl = undefined;
      }
      const done = Number(record?.users_done ?? 0);
      return {
        runId: String(t.run_id),
        source: t.source as SourceName,
        sourceUrl,
        usersPerHour: Number(t.users_per_hour),
        threads: t.threads === null ? undefined : Number(t.threads),
        tier: (t.tier as string | null) ?? null,
        pagesPerUser: done > 0 ? Number(record?.pages ?? 0) / done : undefined,
      };
    });
    return runs.find((r) => r.source === target && !ranOnSim(r)) ?? runs[0];
  } finally {
    await db.close();
  }
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description('how many days and dollars a collection takes per tier and worker count, and which configuration meets a deadline and budget')
    .requiredOption('--users <n>', 'users to collect, e.g. 3600000')
    .option('--rate <users/hour>', 'users per hour per worker (default: the newest finished trial in the warehouse)')
    .option('--threads <n>', "threads the rate was measured with (default: the trial's); tiers allowing fewer scale it down")
    .option('--source <name>', `the source the collection will read: ${SOURCE_NAMES.join(', ')} (default: the measured run's); a real source's rate is bound by its budget`)
    .option('--pages-per-user <n>', 'requests a user takes on --source, for its budget bound (default: a run on that source measured it, else every user at the 2,000 cap)')
    .option('--workers <n,...>', `worker counts to tabulate (default ${DEFAULT_WORKERS.join(',')})`)
    .option('--deadline <duration>', 'longest acceptable run, e.g. 10d')
    .option('--budget <dollars>', 'most you will spend')
    .option('--tiers <file>', "JSON array of {tier, memory_mb, max_threads, price_per_month[, max_workers]} (default: the reference's Heroku tiers)")
    .option('--format <format>', 'text (default) or json');
  addSettingFlags(cmd, SINK_SETTINGS, { read: true }).action(async (opts: Record<string, unknown>) => {
    const users = parseValue('--users', '--users', integer(1, 10_000_000_000), String(opts.users));
    const format = parseValue('--format', '--format', oneOf(['text', 'json'] as const), String(opts.format ?? 'text'));
    const workers =
      opts.workers === undefined
        ? DEFAULT_WORKERS
        : String(opts.workers)
            .split(',')
            .map((w) => parseValue('--workers', '--workers', integer(1, 10_000), w));
    const deadlineDays = opts.deadline === undefined ? undefined : parseValue('--deadline', '--deadline', duration(3_600_000, 3_650 * 86_400_000), String(opts.deadline)) / 86_400_000;
    const budget = opts.budget === undefined ? undefined : parseValue('--budget', '--budget', integer(0, 100_000_000), String(opts.budget));
    const tiers = opts.tiers === undefined ? REFERENCE_TIERS : readTiers(String(opts.tiers));
    let rate: number;
    let rateThreads: number | undefined;
    let source: string;
    let warning: string | undefined;
    if (opts.rate !== undefined) {
      rate = parseValue('--rate', '--rate', integer(1, 100_000_000), String(opts.rate));
      rateThreads = opts.threads === undefined ? undefined : parseValue('--threads', '--threads', integer(1, 1_000_000), String(opts.threads));
      source = 'stated';
    } else {
      const target = opts.source === undefined ? undefined : parseValue('--source', '--source', oneOf(SOURCE_NAMES), String(opts.source));
      const pages = opts.pagesPerUser === undefined ? undefined : parseValue('--pages-per-user', '--pages-per-user', integer(1, 1_000_000), String(opts.pagesPerUser));
      const measured = await measuredRun(opts, target);
      if (!measured && !target)
        throw new ConfigError('--rate', "no finished trial in the warehouse to measure the rate from: run one (npm start), or pass --source (a real source's budget) or --rate");
      let basis;
      try {
        basis = chooseRate(measured, target, pages);
      } catch (error) {
        throw new ConfigError('--rate', (error as Error).message);
      }
      rate = basis.rate;
      rateThreads = opts.threads === undefined ? basis.threads : parseValue('--threads', '--threads', integer(1, 1_000_000), String(opts.threads));
      source = basis.description;
      warning = basis.warning;
    }
    const plan = planCapacity({ users, rate, rateThreads, workers, tiers, deadlineDays, budget });
    const inputs = { users, rate, rate_source: source, rate_warning: warning ?? null, rate_threads: rateThreads ?? null, deadline_days: deadlineDays ?? null, budget: budget ?? null };
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ inputs, ...plan }, null, 2)}\n`);
      return;
    }
    const lines = [
      `${users} users at ${rate.toFixed(0)} users/hour per worker (${source}${rateThreads ? `, ${rateThreads} threads` : ''})`,
      ...(warning ? [`Note: ${warning}`] : []),
      '',
      'Clock time',
      renderTable(plan.clock),
      '',
      `Cost (price per month × workers × days / ${30}; tiers allowing fewer threads than the rate was measured with run slower)`,
      renderTable(plan.cost),
      '',
      plan.recommendation
        ? `Recommendation: ${plan.recommendation.workers} × ${plan.recommendation.tier}: ${plan.recommendation.days.toFixed(1)} days, $${plan.recommendation.cost.toFixed(2)}` +
          (deadlineDays !== undefined || budget !== undefined ? ` (deadline ${deadlineDays ?? '-'} days, budget $${budget ?? '-'})` : '')
        : `No recommendation: ${plan.why_none}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
