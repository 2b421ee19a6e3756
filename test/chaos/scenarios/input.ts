/**
 * Bad input: every setting with wrong types, ranges and empty values must stop the worker before any
 * work with one line naming the variable; a users table with malformed rows, duplicate IDs, leading
 * zeros, signs, spaces and IDs over 2^63 must be collected for its good rows, each bad one reported.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { COLLECT_SETTINGS } from '../../../src/config/collect-settings.ts';
import { SETTINGS, type SettingKey } from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import type { SimGraph } from '../../../src/sim/graph.ts';
import type { LoadReport } from '../../../src/users/report.ts';
import { BAD } from '../../support/bad-settings.ts';
import { baseEnv, capturedLog, collect, expect, sim, spawnCollect, usersFile, verify, warehouse, type Scenario } from '../harness.ts';

/** Settings and users tables are read before any source is asked: one source is enough. */
const HTML_ONLY = { short: ['twitter-html'], full: ['twitter-html'] } as const;

/** Every value each collect setting must refuse: the table's, an empty one, and blanks. */
function badValues(): { key: SettingKey; env: Record<string, string>; value: string }[] {
  const cases: { key: SettingKey; env: Record<string, string>; value: string }[] = [];
  for (const key of COLLECT_SETTINGS) {
    const name = SETTINGS[key].env;
    // A range needs both ends: the other end is a good value.
    const partner: Record<string, string> = key === 'minUserId' ? { MAX_USER_ID: '5' } : key === 'maxUserId' ? { MIN_USER_ID: '1' } : {};
    const values = [...(BAD[key] ?? []), '', '   ', ...(key === 'minUserId' || key === 'maxUserId' ? ['abc', '-5', '99999999999999999999'] : [])];
    for (const value of values) cases.push({ key, env: { ...partner, [name]: value }, value });
  }
  cases.push({ key: 'minUserId', env: { MIN_USER_ID: '9', MAX_USER_ID: '5' }, value: '9' });
  return cases;
}

/** One kind of row of a users table, and what the worker must make of it. */
type Verdict = { ok: string } | { duplicate: true } | { corrected: keyof LoadReport['corrected']; id: string } | { rejected: keyof LoadReport['rejected'] };

/** A users table of sim users (in both formats) salted with every kind of bad row. */
function messyTable(graph: SimGraph, format: 'csv' | 'ndjson'): { text: string; verdicts: Verdict[]; maxId: string } {
  const users = Array.from({ length: 26 }, (_, k) => {
    const i = Math.floor((k * graph.size) / 26);
    return { id: graph.idOf(i).toString(), name: graph.screenName(i) };
  });
  const maxId = '9223372036854775807';
  const csv: [string, Verdict][] = [
    ...users.slice(0, 20).map((u): [string, Verdict] => [`${u.id},${u.name}`, { ok: u.id }]),
    [` ${users[20]!.id} ,${users[20]!.name}`, { corrected: 'whitespace', id: users[20]!.id }],
    [`+${users[21]!.id},${users[21]!.name}`, { corrected: 'plus_sign', id: users[21]!.id }],
    [`000${users[22]!.id},${users[22]!.name}`, { corrected: 'leading_zeros', id: users[22]!.id }],
    [`"${users[23]!.id}",${users[23]!.name}`, { ok: users[23]!.id }],
    [`${users[0]!.id},${users[0]!.name}`, { duplicate: true }],
    [`-42,minus`, { rejected: 'negative' }],
    [`12a4,letters`, { rejected: 'malformed' }],
    [`1e5,exponent`, { rejected: 'malformed' }],
    [`1"3,stray_quote`, { rejected: 'malformed' }],
    [`,no_id`, { rejected: 'empty' }],
    [`9223372036854775808,two_to_63`, { rejected: 'too_large' }],
    [`123456789012345678901234567890,huge`, { rejected: 'too_large' }],
    [`7,8,9`, { rejected: 'bad_row' }],
    [`${maxId},nobody_here`, { ok: maxId }],
    [`"77,unclosed_quote`, { rejected: 'bad_row' }],
  ];
  if (format === 'csv') return { text: ['user_id,screen_name', ...csv.map(([line]) => line)].join('\n') + '\n', verdicts: csv.map(([, v]) => v), maxId };
  const ndjson: [string, Verdict][] = [
    // Bare 19-digit numbers must keep every digit.
    ...users.slice(0, 20).map((u): [string, Verdict] => [`{"user_id": ${u.id}, "screen_name": "${u.name}"}`, { ok: u.id }]),
    [`{"user_id": " ${users[20]!.id} ", "screen_name": "${users[20]!.name}"}`, { corrected: 'whitespace', id: users[20]!.id }],
    [`{"user_id": "+${users[21]!.id}", "screen_name": "${users[21]!.name}"}`, { corrected: 'plus_sign', id: users[21]!.id }],
    [`{"user_id": "000${users[22]!.id}", "screen_name": "${users[22]!.name}"}`, { corrected: 'leading_zeros', id: users[22]!.id }],
    [`{"id": "${users[23]!.id}", "username": "${users[23]!.name}"}`, { ok: users[23]!.id }],
    [`{"user_id": ${users[0]!.id}, "screen_name": "${users[0]!.name}"}`, { duplicate: true }],
    [`{"user_id": -42}`, { rejected: 'negative' }],
    [`{"user_id": 1e5}`, { rejected: 'malformed' }],
    [`{"user_id": ""}`, { rejected: 'empty' }],
    [`{"user_id": 9223372036854775808}`, { rejected: 'too_large' }],
    [`{"user_id": 0123}`, { rejected: 'bad_row' }],
    [`[1, 2]`, { rejected: 'bad_row' }],
    [`{"screen_name": "no_id"}`, { rejected: 'bad_row' }],
    [`{"user_id": ${maxId}, "screen_name": "nobody_here"}`, { ok: maxId }],
  ];
  return { text: ndjson.map(([line]) => line).join('\n') + '\n', verdicts: ndjson.map(([, v]) => v), maxId };
}

function expectedReport(verdicts: readonly Verdict[]) {
  const rejected: Record<string, number> = { empty: 0, malformed: 0, negative: 0, too_large: 0, bad_row: 0 };
  const corrected: Record<string, number> = { whitespace: 0, plus_sign: 0, leading_zeros: 0 };
  let duplicates = 0;
  for (const v of verdicts) {
    if ('rejected' in v) rejected[v.rejected]!++;
    if ('corrected' in v) corrected[v.corrected]!++;
    if ('duplicate' in v) duplicates++;
  }
  const accepted = verdicts.filter((v) => 'ok' in v || 'corrected' in v).length;
  return { rows: verdicts.length, accepted, duplicates, rejected, corrected };
}

export const INPUT_SCENARIOS: readonly Scenario[] = [
  {
    group: 'input',
    name: 'every setting: wrong types, ranges, empty values',
    sinks: { short: ['duckdb'], full: ['duckdb'] },
    sources: HTML_ONLY,
    concurrent: true,
    async run(ctx) {
      const running = await sim(ctx, { users: 500, seed: 12 });
      const users = await usersFile(ctx, running);
      const sink = await warehouse(ctx);
      const base = { ...baseEnv(ctx, running, sink, users), PARTITION: '1/5' };
      const cases = badValues();
      for (const c of cases) {
        const name = SETTINGS[c.key].env;
        const error = await collect({ ...base, ...c.env }).then(
          () => undefined,
          (e: unknown) => e,
        );
        const shown = `${name}=${JSON.stringify(c.value)}`;
        expect(error instanceof ConfigError, `${shown} was accepted (${String(error)})`);
        const message = (error as ConfigError).message;
        expect(message.includes(name) && !message.includes('\n'), `${shown}: "${message}"`);
        if (c.value.includes('secret')) expect(!message.includes('secret'), `${shown}: the message shows a secret`);
      }
      let spawned = 0;
      if (ctx.form === 'full') {
        // The same through the command line: exit 2, one line, nothing written where it runs.
        for (const c of cases) {
          const worker = spawnCollect(ctx, { ...base, SINK: 'duckdb:./friendfleet.duckdb', ...c.env });
          const { code } = await worker.exited;
          const lines = worker.stderr().trim().split('\n');
          expect(code === 2 && lines.length === 1 && lines[0]!.startsWith('friendfleet: '), `${SETTINGS[c.key].env}=${JSON.stringify(c.value)}: exit ${code}, ${lines.join(' / ')}`);
          spawned++;
        }
        expect(!readdirSync(ctx.dir).some((f) => f.endsWith('.duckdb')), 'a warehouse file was created');
      }
      expect(!existsSync(sink.file!), 'the warehouse was created');
      expect(running.stats().requests === 0, 'the source was asked for something');
      const notes = [`${cases.length} bad values refused before any work, each in one line naming its variable`];
      if (spawned) notes.push(`${spawned} of them through the CLI: exit 2`);
      return { users: 0, lost: 0, duplicated: 0, wrong: 0, notes: [...notes, 'no warehouse created, no request sent'] };
    },
  },
  ...(['csv', 'ndjson'] as const).map((format): Scenario => ({
    group: 'input',
    name: `users ${format}: malformed rows, duplicates, zeros, signs, spaces, > 2^63`,
    sinks: format === 'csv' ? { short: ['duckdb'], full: ['duckdb'] } : { short: [], full: ['duckdb'] },
    sources: HTML_ONLY,
    concurrent: true,
    async run(ctx) {
      const running = await sim(ctx, { users: 1000, seed: 13, latencyMs: 1 });
      const table = messyTable(running.graph, format);
      const file = `${ctx.dir}/users.${format}`;
      writeFileSync(file, table.text);
      const sink = await warehouse(ctx);
      const { log, lines } = capturedLog();
      const outcome = await collect({ ...baseEnv(ctx, running, sink, file) }, log);
      expect(outcome.state === 'finished', `the run ended ${outcome.state}`);
      const warning = lines.find((l) => String(l.msg).startsWith('users table: '));
      expect(warning !== undefined, 'no users-table warning was logged');
      const { examples: _examples, ...report } = warning!.report as LoadReport;
      const expected = expectedReport(table.verdicts);
      expect(JSON.stringify(report) === JSON.stringify(expected), `reported ${JSON.stringify(report)}, expected ${JSON.stringify(expected)}`);
      const ids = [...new Set(table.verdicts.flatMap((v) => ('ok' in v ? [v.ok] : 'corrected' in v ? [v.id] : [])))].filter((id) => id !== table.maxId);
      const result = await verify(ctx, running, sink, ids, { others: { [table.maxId]: 'not_found' } });
      return { ...result, notes: [String(warning!.msg).replace(/^users table: /, ''), `2^63-1 collected as not_found`] };
    },
  })),
];
