import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS, flagOf, type Setting } from '../src/config/settings.ts';
import { USER_FRIENDS_COLUMNS } from '../src/sinks/row.ts';
import { buildProgram } from '../src/cli/program.ts';
import { readSqlDir } from '../src/sinks/sql-files.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README matches the code', () => {
  it.each(Object.values(SETTINGS) as Setting[])('documents setting $env with its flag and default', (s) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${s.env}\` |`));
    expect(row, s.env).toBeDefined();
    expect(row).toContain(`\`${flagOf(s)}\``);
    if (s.default !== undefined) expect(row).toContain(`\`${s.default.replace(/^duckdb:/, 'duckdb:')}\``);
  });

  it('documents every command', () => {
    for (const command of buildProgram().commands) expect(readme).toContain(`friendfleet ${command.name()}`);
  });

  it('documents every user_friends column, and the DDL has exactly those columns', () => {
    for (const column of USER_FRIENDS_COLUMNS) expect(readme).toContain(`| \`${column}\` |`);
    const ddl = readSqlDir('sinks/duckdb/ddl').map((f) => f.sql).join('\n');
    const table = /CREATE TABLE IF NOT EXISTS user_friends \(([\s\S]*?)\n\);/.exec(ddl)![1]!;
    const columns = table
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((c) => c && !c.startsWith('--'));
    expect(columns).toEqual([...USER_FRIENDS_COLUMNS]);
  });

  it('documents every runs column', () => {
    const ddl = readSqlDir('sinks/duckdb/ddl').map((f) => f.sql).join('\n');
    const table = /CREATE TABLE IF NOT EXISTS runs \(([\s\S]*?)\n\);/.exec(ddl)![1]!;
    for (const line of table.split('\n')) {
      const column = line.trim().split(/\s+/)[0];
      if (column) expect(readme).toMatch(new RegExp(`\\b${column}\\b`));
    }
  });
});
