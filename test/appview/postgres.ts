import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';

export interface RunningPostgres {
  /** `postgresql://postgres@127.0.0.1:PORT/postgres`, no password (trust on loopback). */
  readonly url: string;
  stop(): Promise<void>;
}

/** The newest Debian cluster's binaries (`/usr/lib/postgresql/N/bin`), or PG_BIN when set. */
function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('postgres is missing: apt-get install -y postgresql (or set PG_BIN to the folder of initdb and postgres)');
  return join(root, newest, 'bin');
}

/**
 * Postgres refuses to run as root: as root, run it as the `postgres` user that Debian's package
 * creates. setpriv execs the program in place, so a signal to the child reaches postgres itself.
 */
function asServerUser(dir: string): { wrap: (cmd: string, args: string[]) => [string, string[]] } {
  if (userInfo().uid !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root and there is no postgres user to run postgres as');
  chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  // A temp folder is private to root (mkdtemp makes it 0700): let the postgres user pass through it.
  chmodSync(dirname(dir), 0o711);
  return { wrap: (cmd, args) => ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', cmd, ...args]] };
}

/**
 * A throwaway Postgres cluster in `dir` (initdb, then postgres on 127.0.0.1:`port`, durability off:
 * the data lives for one test run), ready when it logs that it accepts connections.
 */
export async function startPostgres(dir: string, port: number): Promise<RunningPostgres> {
  const bin = binDir();
  mkdirSync(dir, { recursive: true });
  const user = asServerUser(dir);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = user.wrap(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${dir}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300'];
  const [cmd, args] = user.wrap(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${log}`)));
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('database system is ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // SIGQUIT: immediate shutdown; the cluster is thrown away with its folder.
    child.kill('SIGQUIT');
    await exited;
  };
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop };
}
