import type { Command } from 'commander';
import { addSettingFlags } from '../options.ts';
import { COLLECT_SETTINGS, runCollect } from '../worker.ts';

export function registerCollect(program: Command): void {
  const cmd = program
    .command('collect')
    .description("collect the follows of one bucket's users into the warehouse (settings from env vars or flags; flags win)");
  addSettingFlags(cmd, COLLECT_SETTINGS).action(async (opts: Record<string, unknown>) => {
    const outcome = await runCollect(opts, { env: process.env, isTTY: process.stderr.isTTY === true, handleSignals: true });
    if (outcome.state === 'failed') process.exitCode = 1;
  });
}
