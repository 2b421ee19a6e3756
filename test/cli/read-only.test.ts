import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { writeKnownRows } from '../support/known-rows.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();

// Issue 15: a mistyped --sink for monitor or export created an empty database and reported "no runs
// yet" or "wrote 0 edges".
describe('read-only commands never create a warehouse', () => {
  const missing = join(dir, 'typo.duckdb');
  const said = `friendfleet: SINK names duckdb:${missing}, which does not exist (this command reads a warehouse and never creates one; collect, trial or fleet creates it)\n`;

  it.each([
    ['monitor', ['monitor']],
    ['export', ['export', '--out', join(dir, 'edges.csv')]],
    ['plan', ['plan', '--users', '3600000']],
  ])('%s on a missing file: one line naming the path, exit 2, nothing created', async (_name, args) => {
    const run = await runCli([...args, '--sink', `duckdb:${missing}`]);
    expect([run.code, run.stderr, run.stdout]).toEqual([2, said, '']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('monitor reads a warehouse without changing its file', async () => {
    const path = join(dir, 'known.duckdb');
    await withWarehouse(path, (db) => writeKnownRows(db));
    const before = statSync(path);
    const run = await runCli(['monitor', '--format', 'json', '--sink', `duckdb:${path}`]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { trial_summary: unknown[] }).trial_summary.length).toBe(2);
    const after = statSync(path);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(existsSync(`${path}.wal`)).toBe(false);
  });
});
