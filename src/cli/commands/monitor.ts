import { renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import { sinkFrom, SINK_SETTINGS } from '../../config/warehouse.ts';
import { duration, integer, oneOf } from '../../config/parsers.ts';
import { DUCKDB_VIEWS, readMonitorReport } from '../../monitor/report.ts';
import { renderMonitorHtml } from '../../monitor/render-html.ts';
import { fitScreen, renderMonitorText } from '../../monitor/render-text.ts';
import { describeSink, openForReading } from '../../sinks/registry.ts';
import { addSettingFlags } from '../options.ts';

export function registerMonitor(program: Command): void {
  const cmd = program
    .command('monitor')
    .description("show progress, throughput, ETA and statuses per partition from the warehouse's monitoring views")
    .option('--format <format>', 'text (default) or json')
    .option('--html <file>', 'also write a self-contained HTML page: progress bars, charts over time and every table (with --watch it reloads itself)')
    .option('--watch', 'refresh until interrupted; on a terminal the view is cut to its height, progress first')
    .option('--interval <duration>', 'refresh interval with --watch (default 10s)')
    .option('--runs <n>', 'newest runs to list (default 20)')
    .option('--slots <n>', '10-minute throughput slots to list (default 12)');
  addSettingFlags(cmd, SINK_SETTINGS, { read: true }).action(async (opts: Record<string, unknown>) => {
    const uri = sinkFrom(loadSettings(SINK_SETTINGS, opts, process.env));
    const format = parseValue('--format', '--format', oneOf(['text', 'json'] as const), String(opts.format ?? 'text'));
    const interval = parseValue('--interval', '--interval', duration(1000, 3_600_000), String(opts.interval ?? '10s'));
    const runs = parseValue('--runs', '--runs', integer(1, 10_000), String(opts.runs ?? '20'));
    const slots = parseValue('--slots', '--slots', integer(1, 10_000), String(opts.slots ?? '12'));
    const tty = process.stdout.isTTY === true;
    let stop = false;
    const onSignal = () => (stop = true);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      do {
        // Reopened each round: a fleet may start or stop between refreshes, moving the file behind a host.
        const db = await openForReading(uri);
        let report;
        try {
          report = await readMonitorReport(db, DUCKDB_VIEWS, { runs, slots });
        } finally {
          await db.close();
        }
        if (opts.html) writeAtomically(String(opts.html), renderMonitorHtml(report, { sink: describeSink(uri), ...(opts.watch ? { refreshSeconds: interval / 1000 } : {}) }));
        const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderMonitorText(report, { tty, sink: describeSink(uri) });
        process.stdout.write(opts.watch && tty ? `\x1b[2J\x1b[H${fitScreen(text, process.stdout.rows || 40)}` : text);
        if (opts.watch && !stop) await sleep(interval);
      } while (opts.watch && !stop);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** A browser reloading the page (--watch) never reads it half written. */
function writeAtomically(path: string, content: string): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, content);
  renameSync(partial, path);
}
