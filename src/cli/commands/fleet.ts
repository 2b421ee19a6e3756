import type { Command } from 'commander';
import { parseValue } from '../../config/load.ts';
import { integer } from '../../config/parsers.ts';
import { renderTable } from '../../monitor/format.ts';
import { describeBuckets, describeRun } from '../../monitor/run-summary.ts';
import { runFleet } from '../fleet.ts';
import { addSettingFlags } from '../options.ts';
import { FLEET_SETTINGS, HOST_SETTINGS } from '../../config/collect-settings.ts';

export function registerFleet(program: Command): void {
  const cmd = program
    .command('fleet')
    .description('run a local fleet: one worker process per bucket, all writing one embedded warehouse through a host process')
    .option('--restarts <n>', 'times a crashed worker is started again (default 3)');
  addSettingFlags(cmd, [...FLEET_SETTINGS, ...HOST_SETTINGS]).action(async (opts: Record<string, unknown>) => {
    const partitions = parseValue('--partitions', '--partitions (env PARTITIONS)', integer(1, 1000), String(opts.partitions ?? process.env.PARTITIONS ?? ''));
    const restarts = parseValue('--restarts', '--restarts', integer(0, 100), String(opts.restarts ?? '3'));
    const { restarts: _r, ...flags } = opts;
    // On a terminal, a line per bucket each PROGRESS_INTERVAL; log drains get the `fleet progress` JSON line.
    const onProgress = process.stderr.isTTY ? (buckets: Parameters<typeof describeBuckets>[0]) => process.stderr.write(`${describeBuckets(buckets, partitions).join('\n')}\n`) : undefined;
    const outcome = await runFleet(flags, process.env, { partitions, restarts, ...(onProgress ? { onProgress } : {}) });
    process.stdout.write(`${renderTable(outcome.partitions.map((p) => ({ ...p })))}\n`);
    process.stderr.write(`${describeRun(`friendfleet: fleet ${outcome.ok ? 'finished' : 'ended with failed workers'}`, outcome.totals)}\n`);
    if (!outcome.ok) process.exitCode = 1;
  });
}
