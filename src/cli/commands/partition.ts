import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import { sinkFrom, USERS_SETTINGS, usersFrom } from '../../config/warehouse.ts';
import { oneOf } from '../../config/parsers.ts';
import { friendsCap } from '../../config/settings.ts';
import { requiredSource } from '../../config/source-settings.ts';
import { ConfigError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { renderTable } from '../../monitor/format.ts';
import { chooseWorkModel, planPartitions, planRows, type Balance, type PartitionPlan } from '../../partition/plan.ts';
import { openSink } from '../../sinks/registry.ts';
import { SOURCE_ID_KINDS, SOURCE_PAGE_SIZES } from '../../sources/registry.ts';
import { describeReport } from '../../users/report.ts';
import { addSettingFlags } from '../options.ts';

export type PartitionFormat = 'table' | 'json' | 'env';

const COLUMNS = ['partition_id', 'user_count', 'min_id', 'max_id', 'expected_pages'] as const;

/** The plan's buckets as printed: IDs as strings, expected pages rounded to whole pages. */
export function planTable(plan: PartitionPlan): Record<(typeof COLUMNS)[number], string | number>[] {
  return plan.buckets.map((b) => ({
    partition_id: b.partition_id,
    user_count: b.user_count,
    min_id: b.min_id,
    max_id: b.max_id,
    expected_pages: Math.round(b.expected_pages),
  }));
}

/** One line of env settings per worker, ready for `heroku config:set` (one app per bucket). */
export function planEnvLines(plan: PartitionPlan): string[] {
  return plan.buckets.map((b) => `PARTITION=${b.partition_id} PARTITIONS=${plan.partitions} MIN_USER_ID=${b.min_id} MAX_USER_ID=${b.max_id}`);
}

export function registerPartition(program: Command): void {
  const cmd = program
    .command('partition')
    .description('cut the users table into ID-range buckets of equal expected work (or equal user count), print them and store the plan')
    .option('--balance <mode>', 'work (equal expected pages; default) or count (NTILE over ID order, as the reference)')
    .option('--format <format>', 'table (default), json, or env (one line of settings per worker)')
    .option('--dry-run', 'print the plan without storing it in the warehouse');
  const keys = [...USERS_SETTINGS, 'partitions', 'source', 'maxFriends', 'logLevel'] as const;
  addSettingFlags(cmd, keys).action(async (opts: Record<string, unknown>) => {
    const settings = loadSettings(keys, opts, process.env);
    const usersLocation = usersFrom(settings);
    if (!usersLocation) throw new ConfigError('USERS', 'USERS (flag --users) is required: the users table to cut (or USERS_QUERY)');
    if (!settings.partitions) throw new ConfigError('PARTITIONS', 'PARTITIONS (flag --partitions) is required: how many buckets to cut');
    const source = requiredSource(settings.source);
    const balance = parseValue('--balance', '--balance', oneOf<Balance>(['work', 'count']), String(opts.balance ?? 'work'));
    const format = parseValue('--format', '--format', oneOf<PartitionFormat>(['table', 'json', 'env']), String(opts.format ?? 'table'));
    const log = createLogger(settings.logLevel!);
    // Loaded here, not with the CLI: a `collect` worker must not map DuckDB's library (users/staging-process.ts).
    const { StagedUserTable } = await import('../../users/staged-table.ts');
    const users = await StagedUserTable.open(usersLocation, SOURCE_ID_KINDS[source]);
    const sink = await openSink(sinkFrom(settings)).catch(async (error: unknown) => {
      await users.close();
      throw error;
    });
    try {
      const problems = describeReport(users.report);
      if (problems) log.warn({ report: users.report }, `users table: ${problems}`);
      const pageSize = SOURCE_PAGE_SIZES[source];
      const { model, note } = await chooseWorkModel(users, () => sink.collectedWork(source), { maxFriends: friendsCap(settings.maxFriends!), pageSize });
      const plan = await planPartitions(users, model, note, { partitions: settings.partitions, balance, maxFriends: friendsCap(settings.maxFriends!), pageSize });
      if (!opts.dryRun) await sink.writePlan(planRows(plan));
      const summary =
        `predicted makespan ratio (slowest bucket / mean): count ${plan.predicted.count.toFixed(2)}, work ${plan.predicted.work.toFixed(2)}\n` +
        `work model: ${note}\n` +
        (opts.dryRun ? 'not stored (--dry-run)\n' : `stored as plan ${plan.planId} in ${sink.description} (balance ${balance})\n`);
      if (format === 'json') {
        process.stdout.write(`${JSON.stringify(planTable(plan), null, 2)}\n`);
        process.stderr.write(summary);
      } else if (format === 'env') {
        process.stdout.write(`${planEnvLines(plan).join('\n')}\n`);
        process.stderr.write(summary);
      } else {
        process.stdout.write(`${renderTable(planTable(plan), COLUMNS)}\n\n${summary}`);
      }
    } finally {
      await sink.close();
      await users.close();
    }
  });
}
