/**
 * Writing 2,000-name rows into DuckDB: the appender's appendList against a staging table holding the
 * names as one space-joined string, moved with string_split (what DuckDbSink does).
 * Run: node bench/duckdb-append.ts
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, LIST, VARCHAR } from '@duckdb/node-api';
import { printTable, writeResults } from './table.ts';

const rowsToWrite = process.argv.includes('--quick') ? 100 : 500;
const names = Array.from({ length: 2000 }, (_, i) => `name_${i}`);
// A file, as the sink writes one.
const file = join(tmpdir(), `ff-bench-append-${process.pid}.duckdb`);
const instance = await DuckDBInstance.create(file);
const conn = await instance.connect();
await conn.run(`CREATE TABLE t (id VARCHAR, names VARCHAR[]); CREATE TEMP TABLE s (id VARCHAR, names VARCHAR)`);

let t0 = performance.now();
const a = await conn.createAppender('t');
for (let i = 0; i < rowsToWrite; i++) {
  a.appendVarchar(String(i));
  a.appendList(names, LIST(VARCHAR));
  a.endRow();
}
a.flushSync();
a.closeSync();
const listMs = performance.now() - t0;

t0 = performance.now();
const b = await conn.createAppender('s', 'main', 'temp');
for (let i = 0; i < rowsToWrite; i++) {
  b.appendVarchar(String(i));
  b.appendVarchar(names.join(' '));
  b.endRow();
}
b.flushSync();
b.closeSync();
await conn.run(`INSERT INTO t SELECT id, string_split(names, ' ') FROM temp.main.s; DELETE FROM temp.main.s`);
const joinedMs = performance.now() - t0;

const rows = [
  { method: 'appendList', rows: rowsToWrite, ms_per_row: Number((listMs / rowsToWrite).toFixed(3)), us_per_name: Number(((listMs * 1000) / (rowsToWrite * 2000)).toFixed(3)) },
  {
    method: 'joined string + string_split (used)',
    rows: rowsToWrite,
    ms_per_row: Number((joinedMs / rowsToWrite).toFixed(3)),
    us_per_name: Number(((joinedMs * 1000) / (rowsToWrite * 2000)).toFixed(3)),
  },
];
printTable('DuckDB: writing rows of 2,000 names', rows);
writeResults('duckdb-append', rows);
conn.closeSync();
instance.closeSync();
rmSync(file, { force: true });
rmSync(`${file}.wal`, { force: true });
