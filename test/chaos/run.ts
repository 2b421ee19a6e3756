/**
 * The chaos suite: breaks sources, sinks, processes and input on purpose, in loops bounded in count
 * and time, and checks after every scenario that the warehouse holds exactly what `/_sim/truth` says.
 *
 *   npm run test:chaos                 # the full form: every source × sink (about half an hour)
 *   npm run test:chaos -- --short      # the short form CI runs (about a minute)
 *   npm run test:chaos -- --only storm --seed 7
 *
 * Prints one row per scenario, source and sink: users checked, lost, duplicated, wrong (all must be 0),
 * and what happened; exits 1 if any scenario failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Skip, type Form, type Outcome, type Scenario, type ScenarioContext } from './harness.ts';
import { HOSTILE_SCENARIOS } from './scenarios/hostile.ts';
import { INPUT_SCENARIOS } from './scenarios/input.ts';
import { PROCESS_SCENARIOS } from './scenarios/process.ts';
import { SINK_SCENARIOS } from './scenarios/sink.ts';
import { SOURCE_SCENARIOS } from './scenarios/source.ts';
import { STREAMING_SCENARIOS } from './scenarios/streaming.ts';
import { SINKS, SOURCES } from './targets.ts';
import { seededRandom } from '../support/random.ts';

const SCENARIOS: readonly Scenario[] = [...SOURCE_SCENARIOS, ...SINK_SCENARIOS, ...STREAMING_SCENARIOS, ...PROCESS_SCENARIOS, ...INPUT_SCENARIOS, ...HOSTILE_SCENARIOS];

/** The longest one scenario may take before it counts as hung (on a machine busy with other work too). */
const TIME_LIMIT_MS: Record<Form, number> = { short: 180_000, full: 600_000 };

const { values } = parseArgs({
  options: { short: { type: 'boolean', default: false }, only: { type: 'string' }, seed: { type: 'string' } },
});
const form: Form = values.short ? 'short' : 'full';
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);

interface Row {
  group: string;
  scenario: string;
  source: string;
  sink: string;
  users: string;
  lost: string;
  duplicated: string;
  wrong: string;
  result: string;
  seconds: string;
  notes: string;
}

async function runOne(scenario: Scenario, index: number, source: (typeof SOURCES)[number], sink: (typeof SINKS)[number]): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'ff-chaos-'));
  const deferred: (() => unknown)[] = [];
  const ctx: ScenarioContext = {
    form,
    source,
    sinkTarget: sink,
    dir,
    random: seededRandom(seed + index * 7919),
    scale: (short, full) => (form === 'short' ? short : full),
    defer: (fn) => void deferred.push(fn),
  };
  const t0 = Date.now();
  let outcome: Outcome | undefined;
  let failure: string | undefined;
  let skipped: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    outcome = await Promise.race([
      scenario.run(ctx),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`did not finish within ${TIME_LIMIT_MS[form] / 1000} s`)), TIME_LIMIT_MS[form]))),
    ]);
    if (outcome.lost + outcome.duplicated + outcome.wrong > 0) failure = 'the warehouse disagrees with the truth';
  } catch (error) {
    if (error instanceof Skip) skipped = error.message;
    else failure = error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
    for (const fn of deferred.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
  if (failure) process.stderr.write(`  kept ${dir} for a look\n`);
  else rmSync(dir, { recursive: true, force: true });
  const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
  return {
    group: scenario.group,
    scenario: scenario.name,
    source: source.name,
    sink: sink.name,
    users: n(outcome?.users),
    lost: n(outcome?.lost),
    duplicated: n(outcome?.duplicated),
    wrong: n(outcome?.wrong),
    result: failure ? 'FAIL' : skipped ? 'skip' : 'ok',
    seconds: ((Date.now() - t0) / 1000).toFixed(1),
    notes: [...(failure ? [failure] : []), ...(skipped ? [skipped] : []), ...(outcome?.notes ?? [])].join('; '),
  };
}

function table(rows: readonly Row[]): string {
  const columns = Object.keys(rows[0] ?? {}) as (keyof Row)[];
  const width = (c: keyof Row) => Math.max(c.length, ...rows.map((r) => r[c].length));
  const line = (cells: (c: keyof Row) => string) => columns.map((c) => (c === 'notes' ? cells(c) : cells(c).padEnd(width(c)))).join('  ');
  return [line((c) => c), line((c) => '-'.repeat(width(c))), ...rows.map((r) => line((c) => r[c]))].join('\n');
}

const started = Date.now();
process.stdout.write(`friendfleet chaos suite, ${form} form, seed ${seed}\n`);
interface Job {
  index: number;
  scenario: Scenario;
  source: (typeof SOURCES)[number];
  sink: (typeof SINKS)[number];
}
const jobs: Job[] = [];
for (const scenario of SCENARIOS) {
  const sources = scenario.sources?.[form] ?? (form === 'short' ? ['twitter-html'] : SOURCES.map((s) => s.name));
  for (const source of SOURCES.filter((s) => sources.includes(s.name))) {
    for (const sink of SINKS.filter((s) => scenario.sinks[form].includes(s.name))) {
      const index = jobs.length + 1;
      if (values.only && !`${scenario.group} ${scenario.name} ${source.name} ${sink.name}`.includes(values.only)) continue;
      jobs.push({ index, scenario, source, sink });
    }
  }
}
const rows: Row[] = [];
const run = async (job: Job) => {
  const row = await runOne(job.scenario, job.index, job.source, job.sink);
  rows[jobs.indexOf(job)] = row;
  process.stdout.write(`${row.result.padEnd(4)} ${row.group}: ${row.scenario} [${row.source}, ${row.sink}] ${row.seconds} s${row.result === 'ok' ? '' : `: ${row.notes}`}\n`);
};
// Scenarios that mostly wait (on faults and backoff) run a few at a time; the rest one by one.
const together = jobs.filter((j) => j.scenario.concurrent);
const queue = [...together];
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await run(job);
  }),
);
for (const job of jobs.filter((j) => !j.scenario.concurrent)) await run(job);
const failed = rows.filter((r) => r.result === 'FAIL');
const skips = rows.filter((r) => r.result === 'skip');
process.stdout.write(`\n${table(rows)}\n\n${rows.length} scenarios in ${((Date.now() - started) / 1000).toFixed(0)} s; ${failed.length} failed${skips.length ? `, ${skips.length} skipped` : ''}\n`);
process.exitCode = failed.length === 0 ? 0 : 1;
