import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import * as p from '../../config/parsers.ts';
import type { SettingKey } from '../../config/settings.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { createHostBudget } from '../../collector/create-budget.ts';
import { ConfigError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { openForReading } from '../../sinks/registry.ts';
import { DEFAULT_SOURCE_URLS, SOURCE_BUDGETS } from '../../sources/registry.ts';
import { BlueskyRepoSource } from '../../sources/bluesky-repo/source.ts';
import { resolveHandles } from '../handles.ts';
import { addSettingFlags } from '../options.ts';

const HANDLES_SETTINGS = [
  ...SINK_SETTINGS,
  'sourceUrl',
  'allowPrivateAddresses',
  'maxThreads',
  'maxRetries',
  'requestTimeout',
  'maxResponseTime',
  'rateLimit',
  'rateWindow',
  'logLevel',
] as const satisfies readonly SettingKey[];

export function registerHandles(program: Command): void {
  const cmd = program
    .command('handles')
    .description("bluesky-repo's handles pass: the handle each followed account's DID document claims, one request per distinct followed DID (budgeted per host); resumable")
    .requiredOption('--out <file>', 'CSV file to write (did,handle,status); a run goes on after its last DID')
    .option('--limit <n>', 'DIDs resolved in this run at most (default: all)');
  addSettingFlags(cmd, HANDLES_SETTINGS).action(async (opts: Record<string, unknown>) => {
    const settings = loadSettings(HANDLES_SETTINGS, opts, process.env);
    const limit = opts.limit === undefined ? undefined : parseValue('--limit', '--limit', p.integer(1, 1_000_000_000), String(opts.limit));
    const uri = sinkFrom(settings);
    if (uri.kind === 'bigquery') throw new ConfigError('SINK', 'handles reads the embedded warehouse; in BigQuery, query the distinct friend_ids of source bluesky-repo and resolve them the same way');
    const log = createLogger(settings.logLevel!);
    const documented = SOURCE_BUDGETS['bluesky-repo'];
    const source = new BlueskyRepoSource({
      plcUrl: settings.sourceUrl ?? DEFAULT_SOURCE_URLS['bluesky-repo'],
      connections: settings.maxThreads!,
      timeoutMs: settings.requestTimeout!,
      maxResponseMs: settings.maxResponseTime!,
      allowPrivateAddresses: settings.allowPrivateAddresses!,
      read: 'records',
    });
    const budget = await createHostBudget(
      { credentials: 1, local: { limit: settings.rateLimit, assumedLimit: documented.limit, windowMs: settings.rateWindow ?? documented.windowMs } },
      source.routing.unstatedLimits,
    );
    const warehouse = await openForReading(uri);
    try {
      const outcome = await resolveHandles(warehouse, source, budget, { out: String(opts.out), limit, concurrency: settings.maxThreads!, maxRetries: settings.maxRetries!, log });
      process.stdout.write(`${outcome.resolved} DIDs resolved into ${String(opts.out)}: ${outcome.complete ? 'complete' : 'stopped at --limit; run again to go on'}\n`);
    } finally {
      await warehouse.close();
      await budget.close();
      await source.close();
    }
  });
}
