import type { Command } from 'commander';
import { loadSettings } from '../../config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { openSink } from '../../sinks/registry.ts';
import { addSettingFlags } from '../options.ts';

export function registerSetup(program: Command): void {
  const cmd = program.command('setup').description('create the warehouse: for BigQuery the dataset, tables and views (idempotent); the embedded one creates itself');
  addSettingFlags(cmd, SINK_SETTINGS).action(async (opts: Record<string, unknown>) => {
    const uri = sinkFrom(loadSettings(SINK_SETTINGS, opts, process.env));
    if (uri.kind === 'bigquery') {
      const { setupBigQuery } = await import('../../sinks/bigquery/setup.ts');
      const steps = await setupBigQuery(uri);
      for (const step of steps) process.stdout.write(`${step.action.padEnd(7)} ${step.object}\n`);
      process.stdout.write(`bigquery:${uri.project}.${uri.dataset} is ready\n`);
      return;
    }
    // The embedded warehouse and a fleet's host create their tables and views when opened.
    const sink = await openSink(uri);
    await sink.close();
    process.stdout.write(`${sink.description} is ready\n`);
  });
}
