import type { Command } from 'commander';
import { addSettingFlags } from '../options.ts';
import { COLLECT_SETTINGS } from '../../config/collect-settings.ts';
import { describeRun } from '../../monitor/run-summary.ts';
import { runCollect } from '../worker.ts';

export function registerCollect(program: Command): void {
  const cmd = program.command('collect').description("collect the follows of one bucket's users into the warehouse (settings from env vars or flags; flags win)");
  addSettingFlags(cmd, COLLECT_SETTINGS).action(async (opts: Record<string, unknown>) => {
    try {
      const outcome = await runCollect(opts, { env: process.env, isTTY: process.stderr.isTTY === true, handleSignals: true });
      if (outcome.state === 'failed') process.exitCode = 1;
      const what = outcome.state === 'nothing_to_do' ? 'friendfleet: bucket already collected, nothing to do' : `friendfleet: run ${outcome.state}`;
      process.stderr.write(`${outcome.state === 'nothing_to_do' ? what : describeRun(what, outcome.stats)}\n`);
    } finally {
      // The worker is done. Anything still holding the event loop now is a request it gave up on (a
      // warehouse that stopped answering at a shutdown deadline keeps its socket open until the server
      // answers): do not let it keep a stopping dyno alive past Heroku's 30 s. Unref'd, so a worker
      // with nothing left exits at once; collect writes nothing to stdout that could be cut short.
      setTimeout(() => process.exit(), 1_000).unref();
    }
  });
}
