import { readdirSync, readFileSync } from 'node:fs';

/**
 * SQL lives in `.sql` files under src/ so a person can read it or paste it into a console. Both
 * src/sinks/sql-files.ts and its build, dist/sinks/sql-files.js, sit two levels below the package
 * root, so the files are found from either.
 */
const PACKAGE_ROOT = new URL('../../', import.meta.url);

export function readSql(pathFromSrc: string): string {
  return readFileSync(new URL(`src/${pathFromSrc}`, PACKAGE_ROOT), 'utf8');
}

/** Every `.sql` file of a folder under src/, in name order (files are numbered to order them). */
export function readSqlDir(dirFromSrc: string): { name: string; sql: string }[] {
  const dir = new URL(`src/${dirFromSrc}/`, PACKAGE_ROOT);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(new URL(name, dir), 'utf8') }));
}
