import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Lines of a fresh process's memory map naming DuckDB, after it imported `module`. */
function duckDbMappings(module: string): number {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const script = `await import(${JSON.stringify(path)});
    const { readFileSync } = await import('node:fs');
    console.log(readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => /duckdb/i.test(l)).length);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return Number(run.stdout.trim());
}

describe("the CLI's modules", () => {
  it('load without DuckDB: only a command that opens a DuckDB file maps its library', () => {
    // The check can fail: a module that imports DuckDB maps it.
    expect(duckDbMappings('../../src/users/staged-table.ts')).toBeGreaterThan(0);
    // Every command's module, the worker's included: a `collect` worker writing to a warehouse host or
    // BigQuery stages its users in a child process and never maps the library (~30 MB resident).
    expect(duckDbMappings('../../src/cli/program.ts')).toBe(0);
  });
});
