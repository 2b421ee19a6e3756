import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCollect } from './commands/collect.ts';
import { registerExport } from './commands/export.ts';
import { registerHandles } from './commands/handles.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerMonitor } from './commands/monitor.ts';
import { registerPlan } from './commands/plan.ts';
import { registerPartition } from './commands/partition.ts';
import { registerSetup } from './commands/setup.ts';
import { registerSim } from './commands/sim.ts';
import { registerTrial } from './commands/trial.ts';
import { registerUsers } from './commands/users.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('friendfleet')
    .description('Collect social friend graphs for millions of users with a fleet of polite workers')
    .version(pkg.version)
    .exitOverride()
    .showHelpAfterError()
    // `sim --users` and `sim users --users` are different commands' options: parse them where they stand.
    .enablePositionalOptions();
  registerSim(program);
  registerSetup(program);
  registerUsers(program);
  registerPartition(program);
  registerCollect(program);
  registerFleet(program);
  registerTrial(program);
  registerMonitor(program);
  registerPlan(program);
  registerExport(program);
  registerHandles(program);
  return program;
}
