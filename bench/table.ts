import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { renderTable } from '../src/monitor/format.ts';

/** Prints a titled table of benchmark rows. */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  process.stdout.write(`\n${title}\n${renderTable(rows)}\n`);
}

/** Writes rows to bench/results/NAME.json with the machine they ran on. */
export function writeResults(name: string, rows: readonly Record<string, unknown>[]): void {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const machine = { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify({ machine, at: new Date().toISOString(), rows }, null, 2) + '\n');
}
