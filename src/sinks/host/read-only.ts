import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { HostRefusal } from '../../core/errors.ts';
import type { Queryable } from '../sink.ts';

/**
 * Refuses `sql` unless DuckDB's own parser reads it as exactly one SELECT (WITH, VALUES, FROM-first and
 * set operations included). `json_serialize_sql` parses without binding or running anything, and
 * serializes only SELECT statements: a second statement, DDL, DML, COPY, ATTACH, PRAGMA, SET or CALL
 * comes back as an error.
 */
export async function checkReadOnly(db: Queryable, sql: string): Promise<void> {
  const [row] = await db.query('SELECT json_serialize_sql($1::VARCHAR) AS parsed', [sql]);
  const parsed = JSON.parse(String(row?.parsed)) as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (parsed.error) throw new HostRefusal(400, `the warehouse host runs only SELECT statements: ${parsed.error_message ?? 'DuckDB could not parse this one'}`);
  const count = parsed.statements?.length ?? 0;
  if (count !== 1) throw new HostRefusal(400, `the warehouse host runs exactly one statement per query; this has ${count}`);
}

/**
 * Where an export asked for `requested` may be written: inside `exportDir` (HOST_EXPORT_DIR), its
 * folders resolved (no way out through `..` or a symbolic link), and not through a link. Without an
 * export folder the host writes no file.
 */
export function exportTarget(exportDir: string | undefined, requested: string): string {
  if (exportDir === undefined) {
    throw new HostRefusal(403, 'this warehouse host writes no files: start the fleet with HOST_EXPORT_DIR to export through it, or export once the fleet has ended');
  }
  if (!isAbsolute(requested)) throw new HostRefusal(400, `the export path must be absolute; got ${requested}`);
  const root = realpathSync(exportDir);
  let folder: string;
  try {
    folder = realpathSync(dirname(requested));
  } catch {
    throw new HostRefusal(400, `no folder ${dirname(requested)} to export to`);
  }
  if (folder !== root && !folder.startsWith(root + sep)) {
    throw new HostRefusal(403, `the warehouse host writes files only under HOST_EXPORT_DIR (${root}); ${requested} is outside it`);
  }
  const target = join(folder, basename(requested));
  if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) throw new HostRefusal(403, `${requested} is a symbolic link; the warehouse host does not write through one`);
  return target;
}
