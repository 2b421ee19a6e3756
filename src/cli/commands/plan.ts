import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadSettings, parseValue } from '../../config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { duration, integer, oneOf } from '../../config/parsers.ts';
import { ConfigError } from '../../core/errors.ts';
import { planCapacity } from '../../monitor/capacity.ts';
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

/** The rate of the newest finished run in the warehouse, with the threads it ran. */
async function measuredRate(flags: Record<string, unknown>): Promise<{ rate: number; threads: number | undefined; run: string; tier: string | null }> {
  const db = await openForReading(sinkFrom(loadSettings(SINK_SETTINGS, flags, process.env)));
  try {
    const [trial] = await db.query(
      `SELECT run_id, users_per_hour, threads, tier FROM trial_summary
       WHERE outcome = 'finished' AND users_per_hour IS NOT NULL ORDER BY last_end DESC, run_id LIMIT 1`,
    );
    if (!trial) throw new ConfigError('--rate', 'no finished trial in the warehouse to measure the rate from: run one (npm start) or pass --rate');
    return { rate: Number(trial.users_per_hour), threads: trial.threads === null ? undefined : Number(trial.threads), run: String(trial.run_id), tier: trial.tier as string | null };
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
    .option('--threads <n>', 'threads the rate was measured with (default: the trial\'s); tiers allowing fewer scale it down')
    .option('--workers <n,...>', `worker counts to tabulate (default ${DEFAULT_WORKERS.join(',')})`)
    .option('--deadline <duration>', 'longest acceptable run, e.g. 10d')
    .option('--budget <dollars>', 'most you will spend')
    .option('--tiers <file>', 'JSON array of {tier, memory_mb, max_threads, price_per_month[, max_workers]} (default: the reference\'s Heroku tiers)')
    .option('--format <format>', 'text (default) or json');
  addSettingFlags(cmd, SINK_SETTINGS, { read: true }).action(async (opts: Record<string, unknown>) => {
    const users = parseValue('--users', '--users', integer(1, 10_000_000_000), String(opts.users));
    const format = parseValue('--format', '--format', oneOf(['text', 'json'] as const), String(opts.format ?? 'text'));
    const workers =
      opts.workers === undefined ? DEFAULT_WORKERS : String(opts.workers).split(',').map((w) => parseValue('--workers', '--workers', integer(1, 10_000), w));
    const deadlineDays = opts.deadline === undefined ? undefined : parseValue('--deadline', '--deadline', duration(3_600_000, 3_650 * 86_400_000), String(opts.deadline)) / 86_400_000;
    const budget = opts.budget === undefined ? undefined : parseValue('--budget', '--budget', integer(0, 100_000_000), String(opts.budget));
    const tiers = opts.tiers === undefined ? REFERENCE_TIERS : readTiers(String(opts.tiers));
    let rate: number;
    let rateThreads: number | undefined;
    let source: string;
    if (opts.rate !== undefined) {
      rate = parseValue('--rate', '--rate', integer(1, 100_000_000), String(opts.rate));
      rateThreads = opts.threads === undefined ? undefined : parseValue('--threads', '--threads', integer(1, 1_000_000), String(opts.threads));
      source = 'stated';
    } else {
      const measured = await measuredRate(opts);
      rate = measured.rate;
      rateThreads = opts.threads === undefined ? measured.threads : parseValue('--threads', '--threads', integer(1, 1_000_000), String(opts.threads));
      source = `measured in run ${measured.run}${measured.tier ? ` on ${measured.tier}` : ''}`;
    }
    const plan = planCapacity({ users, rate, rateThreads, workers, tiers, deadlineDays, budget });
    const inputs = { users, rate, rate_source: source, rate_threads: rateThreads ?? null, deadline_days: deadlineDays ?? null, budget: budget ?? null };
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ inputs, ...plan }, null, 2)}\n`);
      return;
    }
    const lines = [
      `${users} users at ${rate.toFixed(0)} users/hour per worker (${source}${rateThreads ? `, ${rateThreads} threads` : ''})`,
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
