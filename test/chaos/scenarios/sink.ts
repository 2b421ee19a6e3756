/**
 * Sink faults: the warehouse cannot be opened (another process holds the DuckDB file) or fills its
 * disk mid-run. The worker must stop with a clear error, acknowledge nothing it did not store, and a
 * rerun once the fault is gone must complete the bucket exactly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withWarehouse } from '../../support/warehouse.ts';
import { baseEnv, bucketIds, collectUntilDone, expect, faultNotes, logLines, Skip, sim, spawnCollect, usersFile, verify, warehouse, type Scenario, type ScenarioContext } from '../harness.ts';

const DUCKDB_MODULE = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;

/** Another process that opens the DuckDB file and holds it (DuckDB locks a file to one process). */
async function holdFile(ctx: ScenarioContext, file: string): Promise<() => Promise<void>> {
  const script = `const { DuckDBInstance } = await import(${JSON.stringify(DUCKDB_MODULE)});
const db = await DuckDBInstance.create(${JSON.stringify(file)});
process.stdout.write('held\\n');
process.stdin.on('end', () => process.exit(0)).resume();`;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  ctx.defer(() => holder.kill('SIGKILL'));
  await once(holder.stdout, 'data');
  return async () => {
    const exited = once(holder, 'exit');
    holder.stdin.end();
    await exited;
  };
}

/** A small tmpfs at `dir`: a real filesystem that fills up. Skips where mounting is not allowed. */
function mountTmpfs(ctx: ScenarioContext, dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) throw new Skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}); run as root`);
  ctx.defer(() => spawnSync('umount', ['-l', dir]));
}

export const SINK_SCENARIOS: readonly Scenario[] = [
  {
    group: 'sink',
    name: 'DuckDB file locked by another process',
    sinks: { short: ['duckdb'], full: ['duckdb'] },
    concurrent: true,
    async run(ctx) {
      const running = await sim(ctx, { users: 2000, seed: 9, latencyMs: 1 });
      const users = await usersFile(ctx, running);
      const sink = await warehouse(ctx);
      const release = await holdFile(ctx, sink.file!);
      const env = { ...baseEnv(ctx, running, sink, users), PARTITION: '40/40' };
      const first = spawnCollect(ctx, env);
      const { code } = await first.exited;
      const said = first.stderr().trim().split('\n').at(-1) ?? '';
      expect(code === 1, `the worker exited with ${code}, not 1`);
      expect(/^friendfleet: FF_SINK: .*lock.*another process has the file open/.test(said) && said.includes(sink.file!), `unclear error: ${said}`);
      expect(running.stats().requests === 0, 'the worker fetched users it could not store');
      await release();
      await collectUntilDone(env);
      const stored = await sink.query(`SELECT count(*) AS n FROM user_friends`);
      const ids = await bucketIds(ctx, users, 40, 40);
      expect(Number(stored[0]!.n) === ids.length, `${String(stored[0]!.n)} rows for ${ids.length} users`);
      return { ...(await verify(ctx, running, sink, ids)), notes: ['exit 1 while locked: "Could not set lock ... another process has the file open"', 'then collected'] };
    },
  },
  {
    group: 'sink',
    name: 'disk full mid-run (tmpfs)',
    sinks: { short: ['duckdb'], full: ['duckdb', 'fleet-host'] },
    concurrent: true,
    async run(ctx) {
      const disk = join(ctx.dir, 'disk');
      // Room for the whole bucket once the filler is gone: 200 users with up to 2,000 IDs and names each
      // are about 16 MB of rows, and DuckDB writes them to its WAL first.
      mountTmpfs(ctx, disk, '64m');
      const running = await sim(ctx, { users: 2000, seed: 10, latencyMs: 1 });
      const users = await usersFile(ctx, running);
      const sink = await warehouse(ctx, disk);
      // The warehouse exists (tables created); then everything but 1.5 MB of the disk is taken: a few
      // batches of rows fit, the rest do not.
      if (!ctx.sinkTarget.sharedByProcesses) await withWarehouse(sink.file!, async () => undefined);
      const { bavail, bsize } = statfsSync(disk);
      const filler = join(disk, 'filler');
      writeFileSync(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - 1536 * 1024)));
      // The oldest bucket: its lists are long, its rows large.
      const env = { ...baseEnv(ctx, running, sink, users), PARTITION: '1/10', MAX_THREADS: '20' };
      const first = spawnCollect(ctx, env);
      const { code } = await first.exited;
      const said = first.stderr().trim().split('\n').at(-1) ?? '';
      expect(code === 1, `the worker exited with ${code}, not 1`);
      expect(/^friendfleet: FF_SINK: .*(No space left on device|ENOSPC)/.test(said), `unclear error: ${said}`);
      const ended = logLines(first.stderr()).find((l) => l.msg === 'run ended') as { runId: string; state: string; stats: { usersSaved: number; usersDone: number } };
      expect(ended?.state === 'failed', 'the run did not end as failed');

      rmSync(filler);
      await sink.restart();
      const [stored] = await sink.query(`SELECT count(*) AS n FROM user_friends WHERE run_id = '${ended.runId}'`);
      // Every row the worker counted as saved is in the warehouse.
      expect(Number(stored!.n) >= ended.stats.usersSaved, `${ended.stats.usersSaved} rows acknowledged, ${String(stored!.n)} stored`);
      await collectUntilDone({ ...env, ...sink.env });
      const ids = await bucketIds(ctx, users, 1, 10);
      return {
        ...(await verify(ctx, running, sink, ids)),
        notes: [`exit 1 at ${ended.stats.usersDone} users done, ${ended.stats.usersSaved} acknowledged, ${String(stored!.n)} stored`, faultNotes(running)],
      };
    },
  },
];
