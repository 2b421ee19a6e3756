import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** Staging directories are named for this host and process, so that a later worker can tell orphans. */
const STAGING_PREFIX = `friendfleet-users-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-`;

/** This process's staging directory, once made. */
let directory: string | undefined;

/**
 * This process's own staging directory: made by mkdtemp (owner-only, a name no one can guess) in the
 * temporary directory, so that another local user can neither read the users staged in it nor plant
 * a file or link at a path a worker will write. Removed when the process exits.
 */
function stagingDirectory(): string {
  if (directory !== undefined && statSync(directory, { throwIfNoEntry: false })?.isDirectory()) return directory;
  const made = mkdtempSync(join(tmpdir(), `${STAGING_PREFIX}${process.pid}-`));
  if (directory === undefined) process.once('exit', () => rmSync(directory!, { recursive: true, force: true }));
  directory = made;
  return made;
}

/** A new file name for this process's staging (`.duckdb`, or a bucket's spool), in its private directory. */
export function stagingFile(suffix: string): string {
  return join(stagingDirectory(), `${randomUUID()}${suffix}`);
}

/**
 * Removes the staging directories (DuckDB files and bucket spools) of this host's workers that died
 * without closing them (SIGKILL, an OOM kill): a 3.6M-user table stages into a file of over 100 MB, and a
 * worker killed every day would otherwise fill the disk. One whose process is alive, or that belongs to
 * another host sharing the directory, is left alone.
 */
export function removeOrphans(): void {
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(/^([0-9]+)-/.exec(name.slice(STAGING_PREFIX.length))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    // Only our own user's: another local user can plant an entry of that name, which is not ours to
    // remove, and a failure to remove one must not stop the worker that found it.
    const path = join(dir, name);
    if (statSync(path, { throwIfNoEntry: false })?.uid !== process.getuid?.()) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Left for the next worker, or the system's clean-up of the temporary directory.
    }
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
