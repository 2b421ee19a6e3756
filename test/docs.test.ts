import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SETTINGS, type Setting } from '../src/config/settings.ts';
import { USER_FRIENDS_COLUMNS } from '../src/sinks/row.ts';
import { buildProgram } from '../src/cli/program.ts';
import { readSqlDir } from '../src/sinks/sql-files.ts';
import { renderSettingsDoc, SETTINGS_DOC } from './support/settings-doc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Env vars an example may set that are not friendfleet settings: Node's and glibc's, read by the runtime. */
const ENV_EXCEPTIONS = new Set(['NODE_OPTIONS', 'MALLOC_ARENA_MAX']);
const SETTING_ENVS = new Set((Object.values(SETTINGS) as Setting[]).map((s) => s.env));
/** The commands that read from a source, which has no default. */
const NEEDS_SOURCE = new Set(['collect', 'fleet', 'partition']);

/** The shell code blocks of a Markdown file, each line with its line number, continuation lines joined. */
function shellLines(file: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inShell = false;
  let inFence = false;
  let pending: { line: number; text: string } | undefined;
  read(file)
    .split('\n')
    .forEach((raw, i) => {
      const fence = /^\s*```(\w*)/.exec(raw);
      if (fence) {
        inShell = !inFence && ['sh', 'bash', 'shell'].includes(fence[1]!);
        inFence = !inFence;
        return;
      }
      if (!inShell) return;
      const text = pending ? `${pending.text} ${raw.trim()}` : raw.trim();
      const line = pending?.line ?? i + 1;
      if (text.endsWith('\\')) pending = { line, text: text.slice(0, -1).trimEnd() };
      else {
        pending = undefined;
        out.push({ line, text });
      }
    });
  return out;
}

/** Shell words of one line, comments dropped; `&&`, `||`, `;`, `|` and `&` are words of their own. */
function words(text: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? text.length : end;
    } else if (c === '\\') {
      word = (word ?? '') + (text[++i] ?? '');
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('&|;'.includes(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
      out.push(text[i + 1] === c ? c + text[++i] : c);
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) out.push(word);
  return out;
}

interface Invocation {
  where: string;
  env: string[];
  args: string[];
}

/** Every `friendfleet …`, `npx friendfleet …` and `node dist/cli/main.js …` in the docs' shell blocks. */
function invocations(): Invocation[] {
  const out: Invocation[] = [];
  for (const file of DOCS) {
    for (const { line, text } of shellLines(file)) {
      let segment: string[] = [];
      for (const w of [...words(text), ';']) {
        if (!['&&', '||', ';', '|', '&'].includes(w)) {
          segment.push(w);
          continue;
        }
        let k = 0;
        while (k < segment.length && /^[A-Z_][A-Z0-9_]*=/.test(segment[k]!)) k++;
        const env = segment.slice(0, k).map((a) => a.slice(0, a.indexOf('=')));
        const rest = segment.slice(k);
        const start = rest[0] === 'friendfleet' ? 1 : rest[0] === 'npx' && rest[1] === 'friendfleet' ? 2 : rest[0] === 'node' && rest[1] === 'dist/cli/main.js' ? 2 : -1;
        if (start > 0) out.push({ where: `${file}:${line}: ${segment.join(' ')}`, env, args: rest.slice(start) });
        segment = [];
      }
    }
  }
  return out;
}

/** What is wrong with one invocation, checked against the CLI's own commander program. */
function problems(program: Command, inv: Invocation): string[] {
  const found: string[] = [];
  for (const name of inv.env) if (!SETTING_ENVS.has(name) && !ENV_EXCEPTIONS.has(name)) found.push(`${name} is not a setting`);
  let cmd = program;
  let i = 0;
  while (i < inv.args.length && !inv.args[i]!.startsWith('-')) {
    const sub = cmd.commands.find((c) => c.name() === inv.args[i]);
    if (!sub) break;
    cmd = sub;
    i++;
  }
  if (cmd === program && !['--help', '-h', '--version', '-V'].includes(inv.args[0] ?? '')) return [...found, `no command ${inv.args[0]}`];
  for (; i < inv.args.length; i++) {
    const arg = inv.args[i]!;
    if (arg === '--help' || arg === '-h') continue;
    if (arg.startsWith('-')) {
      const flag = arg.split('=')[0]!;
      const option = cmd.options.find((o) => o.long === flag || o.short === flag);
      if (!option) found.push(`${cmd.name()} has no option ${flag}`);
      else if (option.required && !arg.includes('=')) i++;
    } else if (cmd.registeredArguments.length === 0) found.push(`${cmd.name()} takes no argument ${arg}`);
  }
  // Commands that collect need SOURCE (export's --source is only a filter): examples name it.
  if (NEEDS_SOURCE.has(cmd.name()) && cmd.parent === program && !inv.args.includes('--source') && !inv.args.some((a) => a.startsWith('--source=')) && !inv.env.includes('SOURCE')) {
    found.push(`${cmd.name()} without --source or SOURCE=`);
  }
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replaceAll(' ', '-');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of read(file).split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const h = !inFence && /^#{1,6} (.*)$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('the docs match the code', () => {
  const program = buildProgram();
  const all = invocations();

  it('finds the examples', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((inv) => inv.where.startsWith('README.md')).length).toBeGreaterThan(15);
  });

  it('every example names a command of the CLI, with its options, settings and source', () => {
    const wrong = all.flatMap((inv) => problems(program, inv).map((p) => `${inv.where}\n  ${p}`));
    expect(wrong).toEqual([]);
  });

  it('the check finds a wrong command, flag, argument, env var and a missing source', () => {
    const check = (line: string) => problems(program, { where: line, ...split(line) });
    const split = (line: string) => {
      const w = words(line);
      const k = w.findIndex((x) => x === 'friendfleet');
      return { env: w.slice(0, k).map((a) => a.split('=')[0]!), args: w.slice(k + 1) };
    };
    expect(check('friendfleet colect --source bluesky')).toEqual(['no command colect']);
    expect(check('friendfleet export --fromat=csv --out x.csv')).toEqual(['export has no option --fromat']);
    expect(check('friendfleet sim users --source bluesky --out dids.csv extra')).toEqual(['users takes no argument extra']);
    expect(check('MAX_THREAD=5 friendfleet collect --source bluesky --users u.csv')).toEqual(['MAX_THREAD is not a setting']);
    expect(check('friendfleet collect --users u.csv # --source bluesky')).toEqual(['collect without --source or SOURCE=']);
    expect(check('SOURCE=bluesky friendfleet collect --users "a b.csv" --sink=duckdb:x.duckdb')).toEqual([]);
  });

  it('every relative link points to a file that exists, and to a heading it has', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      const text = read(file)
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), path));
        if (!existsSync(join(ROOT, resolved))) broken.push(`${file}: ${target} (no file)`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${file}: ${target} (no heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no doc cites a path outside the repository', () => {
    for (const file of DOCS) expect(read(file), file).not.toMatch(/\.\.\/shared\//);
  });

  it('the README stays a guide of at most 250 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(251);
  });

  it('docs/settings.md is what npm run docs:settings generates from src/config/settings.ts', () => {
    const doc = readFileSync(SETTINGS_DOC, 'utf8');
    expect(doc, 'run npm run docs:settings').toBe(renderSettingsDoc(doc));
    for (const s of Object.values(SETTINGS) as Setting[]) expect(doc).toContain(`| \`${s.env}\` |`);
  });

  it('docs/commands.md documents every command', () => {
    const doc = read('docs/commands.md');
    for (const command of program.commands) expect(doc).toContain(`friendfleet ${command.name()}`);
  });

  it('docs/warehouses.md documents every user_friends column, and the DDL has exactly those columns', () => {
    const doc = read('docs/warehouses.md');
    for (const column of USER_FRIENDS_COLUMNS) expect(doc).toContain(`| \`${column}\` |`);
    const ddl = readSqlDir('sinks/duckdb/ddl')
      .map((f) => f.sql)
      .join('\n');
    const table = /CREATE TABLE IF NOT EXISTS user_friends \(([\s\S]*?)\n\);/.exec(ddl)![1]!;
    const columns = table
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((c) => c && !c.startsWith('--'));
    expect(columns).toEqual([...USER_FRIENDS_COLUMNS]);
  });

  it('docs/warehouses.md documents every runs column', () => {
    const doc = read('docs/warehouses.md');
    const ddl = readSqlDir('sinks/duckdb/ddl')
      .map((f) => f.sql)
      .join('\n');
    const table = /CREATE TABLE IF NOT EXISTS runs \(([\s\S]*?)\n\);/.exec(ddl)![1]!;
    for (const line of table.split('\n')) {
      const column = line.trim().split(/\s+/)[0];
      if (column) expect(doc).toMatch(new RegExp(`\\b${column}\\b`));
    }
  });
});
