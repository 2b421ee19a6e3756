import { fork } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { freePort, useRedis } from '../support/redis.ts';
import { tempDir } from '../support/tmp.ts';
import { startPostgres } from './postgres.ts';
import { DEFAULT_PLAN, type SeedPlan, type SeededNetwork } from './seed-plan.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The network process gets this long to close its services before it is killed. */
const CLOSE_GRACE_MS = 30_000;

type FromNetwork = { ready: SeededNetwork } | { error: string };

/**
 * Starts Bluesky's reference network for this test file: a Postgres cluster and a redis-server of its
 * own on free loopback ports, then PLC, PDS and AppView (`@atproto/dev-env`) in a child process,
 * seeded with `plan`. Resolves once the AppView has indexed the seed, with the services' URLs and
 * every seeded account with the follow records it holds; everything is stopped and removed after the file.
 */
export async function useAppviewNetwork(plan: SeedPlan = DEFAULT_PLAN): Promise<SeededNetwork> {
  if (!existsSync(join(HERE, 'node_modules', '@atproto', 'dev-env'))) {
    throw new Error('@atproto/dev-env is not installed under test/appview: run npm run test:appview (it installs it)');
  }
  const dir = tempDir('ff-appview-');
  const redis = await useRedis();
  const postgres = await startPostgres(join(dir, 'pg'), await freePort());
  afterAll(() => postgres.stop());

  // dev-env writes the PDS's data and blobs under the OS temp folder: keep them in ours, in memory where
  // the machine has a tmpfs. The PDS syncs each account's SQLite file on close, on the event loop: on a
  // disk that doubles the seed's time.
  const data = existsSync('/dev/shm') ? mkdtempSync(join('/dev/shm', 'ff-appview-')) : join(dir, 'tmp');
  mkdirSync(data, { recursive: true });
  afterAll(() => rmSync(data, { recursive: true, force: true }));
  const logPath = join(dir, 'network.log');
  const log = openSync(logPath, 'a');
  const child = fork(join(HERE, 'network.ts'), [], {
    cwd: HERE,
    env: { ...process.env, DB_POSTGRES_URL: postgres.url, REDIS_HOST: new URL(redis.url).host, TMPDIR: data },
    // Not vitest's flags: the network is a plain Node process.
    execArgv: [],
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ close: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  afterAll(stop);

  const answer = await new Promise<FromNetwork>((resolve) => {
    child.once('message', (m) => resolve(m as FromNetwork));
    child.once('exit', (code, signal) => resolve({ error: `the network process exited (${code ?? signal}) before it was ready` }));
    child.send({ plan });
  });
  if ('error' in answer) {
    // A suite whose set-up throws runs no afterAll: stop what was started here.
    await stop();
    await Promise.all([postgres.stop(), redis.kill()]);
    throw new Error(`${answer.error}\n--- network.log (end) ---\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
  }
  console.log(
    readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('[network]'))
      .join('\n'),
  );
  return answer.ready;
}
