import { readFileSync } from 'node:fs';

/**
 * SQL lives in `.sql` files under src/ so a person can read it or paste it into a console. Both
 * src/sinks/sql-files.ts and its build, dist/sinks/sql-files.js, sit two levels below the package
 * root, so the files are found from either.
 */
const PACKAGE_ROOT = new URL('../../', import.meta.url);

export function readSql(pathFromSrc: string): string {
  return readFileSync(new URL(`src/${pathFromSrc}`, PACKAGE_ROOT), 'utf8');
}
