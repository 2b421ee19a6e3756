import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, cpus, loadavg, totalmem } from 'node:os';
import { renderTable } from '../src/monitor/format.ts';

/** Prints a titled table of benchmark rows. */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  process.stdout.write(`\n${title}\n${renderTable(rows)}\n`);
}

/** The 1-minute load average when the script started: other work on the machine skews timings. */
const loadAtStart = loadavg()[0]!;

/**
 * Writes rows to bench/results/NAME.json with the machine they ran on and how busy it was. A --quick
 * run (CI's smoke run) writes to bench/results/quick/ instead, which git ignores: the committed files
 * hold the full runs the docs quote, and a smoke run must not overwrite them.
 */
export function writeResults(name: string, rows: readonly Record<string, unknown>[]): void {
  const quick = process.argv.includes('--quick');
  const dir = new URL(quick ? './results/quick/' : './results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const machine = {
    host: hostname(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_1m_at_start: Number(loadAtStart.toFixed(2)),
    load_1m_at_end: Number(loadavg()[0]!.toFixed(2)),
  };
  // Marked as well, so that documented tables are never refreshed from a quick run's file.
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify({ machine, at: new Date().toISOString(), quick, rows }, null, 2) + '\n');
}
