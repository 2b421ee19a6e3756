import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { DUCKDB_VIEWS, readMonitorReport } from '../../src/monitor/report.ts';
import { renderMonitorHtml } from '../../src/monitor/render-html.ts';
import { renderMonitorText } from '../../src/monitor/render-text.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();

/** A pino logger whose JSON lines are kept, to read the end-of-run message. */
function capturingLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('the completeness signal: expected_count, the views, monitor and the end of a run', async () => {
  const sim = await useSim({ users: 2_000, seed: 21 });
  const honest = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, honest, { withCounts: true });
  // The same table with every seventh user's friends_count doubled, as a stale or wrong table would say.
  const inflated = join(dir, 'users-inflated.csv');
  const [header, ...lines] = readFileSync(honest, 'utf8').trim().split('\n');
  writeFileSync(inflated, [header, ...lines.map((l, i) => (i % 7 === 0 ? l.replace(/,(\d+)$/, (_, n: string) => `,${Number(n) * 2}`) : l))].join('\n') + '\n');

  const collect = async (users: string, sink: string) => {
    const { log, lines: logged } = capturingLog();
    const outcome = await runCollect(
      { users, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${sink}`, partition: '1/10', progress: 'off' },
      { env: {}, isTTY: false, handleSignals: false, log },
    );
    expect(outcome.state).toBe('finished');
    return { outcome, warning: logged.find((l) => l.msg === 'lists shorter than the users table says') };
  };

  it("stores the users table's count beside every row, and the service's hidden accounts stay within the tolerance", async () => {
    const sink = join(dir, 'honest.duckdb');
    const { outcome, warning } = await collect(honest, sink);
    await withWarehouse(sink, async (db) => {
      const [counts] = await db.query(`SELECT count(*) AS n, count(expected_count) AS with_expected FROM user_friends_latest`);
      expect(counts!.with_expected).toBe(counts!.n);
      // The sim's friends_count counts suspended and deleted accounts too, which lists leave out.
      const [hidden] = await db.query(`SELECT count(*) AS n FROM user_friends_latest WHERE status = 'ok' AND NOT truncated AND friend_count < expected_count`);
      expect(Number(hidden!.n)).toBeGreaterThan(10);
      expect(await db.query(`SELECT * FROM short_lists`)).toEqual([]);
    });
    expect(outcome.stats.shortLists).toBe(0);
    expect(outcome.stats.okWithExpected).toBe(outcome.stats.byStatus.ok);
    expect(warning).toBeUndefined();
  });

  it('lists the users whose list is short of a wrong count, in the view, in monitor and at the end of the run', async () => {
    const sink = join(dir, 'inflated.duckdb');
    const { outcome, warning } = await collect(inflated, sink);
    await withWarehouse(sink, async (db) => {
      const short = await db.query(`SELECT user_id, friend_count, expected_count FROM short_lists ORDER BY user_id`);
      // Exactly the doubled users whose list was read whole and is long enough to miss more than 5.
      const expected = await db.query(
        `SELECT user_id, friend_count, expected_count FROM user_friends_latest
         WHERE status = 'ok' AND NOT truncated AND expected_count - friend_count > greatest(5, 0.1 * expected_count) ORDER BY user_id`,
      );
      expect(short).toEqual(expected);
      expect(short.length).toBeGreaterThan(5);
      expect(short.every((r) => Number(r.expected_count) >= 2 * Number(r.friend_count) - 2 * Math.ceil(0.02 * Number(r.friend_count)))).toBe(true);
      expect(outcome.stats.shortLists).toBe(short.length);
      const report = await readMonitorReport(db, DUCKDB_VIEWS, { runs: 5, slots: 6 });
      expect(report.completeness).toEqual([
        {
          source: 'twitter-html',
          ok_users: outcome.stats.byStatus.ok,
          with_expected: outcome.stats.byStatus.ok,
          short_lists: short.length,
          missing_accounts: expect.any(Number),
          short_share: short.length / outcome.stats.byStatus.ok,
        },
      ]);
      expect(report.short_lists.length).toBe(Math.min(20, short.length));
      expect(renderMonitorText(report, { tty: false })).toContain('Completeness');
      expect(renderMonitorHtml(report)).toContain('data-view="completeness"');
    });
    expect(warning).toMatchObject({ level: 40, shortLists: outcome.stats.shortLists, okWithExpected: outcome.stats.byStatus.ok, threshold: 0.01 });
  });
});
