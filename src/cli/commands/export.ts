import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { ConfigError } from '../../core/errors.ts';
import { oneOf } from '../../config/parsers.ts';
import { SOURCE_NAMES } from '../../sources/source.ts';
import { exportEdges, type ExportFormat } from '../../sinks/duckdb/export.ts';
import { openForReading } from '../../sinks/registry.ts';
import { addSettingFlags } from '../options.ts';

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('write the edge list (user_id, friend_screen_name, friend_id, source) of the latest successful row per user and source')
    .option('--format <format>', 'csv, ndjson or parquet (default csv)')
    .option('--source <name>', `only the users collected from this source: ${SOURCE_NAMES.join(', ')} (default: every source, told apart by the source column)`)
    .option('--out <file>', 'file to write (required)');
  addSettingFlags(cmd, SINK_SETTINGS, { read: true }).action(async (opts: Record<string, unknown>) => {
    // Checked here, not by commander: a missing required option made it print the whole help.
    if (opts.out === undefined) throw new ConfigError('--out', 'export needs --out FILE: the file to write the edges to (--format csv, ndjson or parquet)');
    const uri = sinkFrom(loadSettings(SINK_SETTINGS, opts, process.env));
    if (uri.kind === 'bigquery') {
      throw new ConfigError('SINK', `export writes files from the embedded warehouse; in BigQuery, query or export the view ${uri.project}.${uri.dataset}.user_friend_edges`);
    }
    const format: ExportFormat = parseValue('--format', '--format', oneOf(['csv', 'ndjson', 'parquet'] as const), String(opts.format ?? 'csv'));
    const source = opts.source === undefined ? undefined : parseValue('--source', '--source', oneOf(SOURCE_NAMES), String(opts.source));
    const sink = await openForReading(uri);
    try {
      const n = await exportEdges(sink, format, String(opts.out), source);
      process.stdout.write(`wrote ${n} edges${source === undefined ? '' : ` of ${source}`} to ${String(opts.out)} (${format})\n`);
    } finally {
      await sink.close();
    }
  });
}
