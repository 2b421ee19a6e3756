import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** What a running warehouse host announces next to the DuckDB file it owns. */
export interface HostFile {
  url: string;
  pid: number;
  /** The fleet's secret, which every request to the host carries: the file is its owner's only. */
  secret: string;
}

/** Where a running warehouse host announces itself, next to the DuckDB file it owns. */
export function hostFileOf(dbPath: string): string {
  return `${dbPath}.host.json`;
}

/** A fleet's secret: 256 random bits. */
export function newHostSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Writes the host file readable by its owner only. It is written whole under a name no one can guess
 * and then renamed over the old one, so it is never readable by others, nor seen half-written.
 */
export function writeHostFile(dbPath: string, host: HostFile): void {
  const file = hostFileOf(dbPath);
  const fresh = `${file}.${randomBytes(6).toString('hex')}`;
  writeFileSync(fresh, `${JSON.stringify(host)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, file);
}

export function removeHostFile(dbPath: string): void {
  rmSync(hostFileOf(dbPath), { force: true });
}

/**
 * The host that announced itself for this DuckDB file, if its process is alive and the file is ours to
 * read (another user's fleet is not).
 */
export function liveHost(dbPath: string): Omit<HostFile, 'pid'> | undefined {
  try {
    const { url, pid, secret } = JSON.parse(readFileSync(hostFileOf(dbPath), 'utf8')) as HostFile;
    process.kill(pid, 0);
    return { url, secret };
  } catch {
    return undefined;
  }
}
