import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import * as p from '../../config/parsers.ts';
import type { SettingKey } from '../../config/settings.ts';
import { createLogger } from '../../core/log.ts';
import { SOURCE_BUDGETS } from '../../sources/registry.ts';
import { RELAY_PAGE_SIZE } from '../../sources/bluesky-repo/relay.ts';
import { listRelayUsers } from '../../users/relay-listing.ts';
import { addSettingFlags } from '../options.ts';

/** Bluesky's relay (the firehose host), which carries every repository of the network it crawls. */
export const DEFAULT_RELAY_URL = 'https://bsky.network';

const USERS_COMMAND_SETTINGS = ['maxRetries', 'requestTimeout', 'maxResponseTime', 'rateLimit', 'rateWindow', 'logLevel'] as const satisfies readonly SettingKey[];

export function registerUsers(program: Command): void {
  const cmd = program
    .command('users')
    .description('write a users table of a whole network: --from bluesky-relay lists every repository a relay carries (DID and status); resumable')
    .requiredOption('--from <where>', 'bluesky-relay')
    .requiredOption('--out <file>', 'CSV file to write (user_id,status); its progress is kept in <file>.state.json')
    .option('--relay-url <url>', `the relay (default ${DEFAULT_RELAY_URL})`)
    .option('--page-size <n>', `repositories a page, 1-${RELAY_PAGE_SIZE} (default ${RELAY_PAGE_SIZE})`);
  addSettingFlags(cmd, USERS_COMMAND_SETTINGS).action(async (opts: Record<string, unknown>) => {
    parseValue('--from', '--from', p.oneOf(['bluesky-relay'] as const), String(opts.from));
    const settings = loadSettings(USERS_COMMAND_SETTINGS, opts, process.env);
    const relayUrl = parseValue('--relay-url', '--relay-url', p.httpUrl(), String(opts.relayUrl ?? DEFAULT_RELAY_URL));
    const pageSize = parseValue('--page-size', '--page-size', p.integer(1, RELAY_PAGE_SIZE), String(opts.pageSize ?? RELAY_PAGE_SIZE));
    const log = createLogger(settings.logLevel!);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      const documented = SOURCE_BUDGETS['bluesky-repo'];
      const outcome = await listRelayUsers({
        relayUrl,
        out: String(opts.out),
        pageSize,
        maxRetries: settings.maxRetries!,
        timeoutMs: settings.requestTimeout!,
        maxResponseMs: settings.maxResponseTime!,
        assumedLimit: settings.rateLimit ?? documented.limit,
        windowMs: settings.rateWindow ?? documented.windowMs,
        signal: stop.signal,
        log,
      });
      const what = outcome.complete ? 'complete' : 'stopped; run the same command again to resume';
      process.stdout.write(`${outcome.repos} repositories in ${String(opts.out)} (${outcome.pages} pages${outcome.resumed ? ', resumed' : ''}): ${what}\n`);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  });
}
