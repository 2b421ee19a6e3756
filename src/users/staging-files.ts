import { readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** Staging files are named for this host and process, so that a later worker can tell orphans. */
const STAGING_PREFIX = `friendfleet-users-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-`;

/** A new file name for this process's staging (`.duckdb`, or a bucket's spool), in the temporary directory. */
export function stagingFile(suffix: string): string {
  return join(tmpdir(), `${STAGING_PREFIX}${process.pid}-${randomUUID()}${suffix}`);
}

/**
 * Removes the staging files (DuckDB files and bucket spools) of this host's workers that died without
 * closing them (SIGKILL, an OOM kill): a 3.6M-user table stages into a file of over 100 MB, and a
 * worker killed every day would otherwise fill the disk. A file whose process is alive, or that
 * belongs to another host sharing the directory, is left alone.
 */
export function removeOrphans(): void {
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(/^([0-9]+)-/.exec(name.slice(STAGING_PREFIX.length))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    // Only files: a directory of that name (another program's temporary directory) is not ours.
    const path = join(dir, name);
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) rmSync(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function removeDuckDbFile(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
}
