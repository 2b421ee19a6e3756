/**
 * The dependency audit CI runs: `npm audit --omit=dev` (production dependencies), failing on any high
 * or critical advisory unless docs/security.md records why it does not apply (its "Audit exceptions"
 * table). A registry without npm's audit endpoint (a mirror) is reported and skipped, unless
 * AUDIT_REQUIRED=1 makes that a failure too.
 *
 *   node .ci/audit.ts
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FAILING = new Set(['high', 'critical']);

/** One advisory as `npm audit --json` (report version 2) gives it under a package's `via`. */
interface Advisory {
  title: string;
  url: string;
  severity: string;
  name: string;
  range?: string;
}

interface AuditReport {
  vulnerabilities?: Record<string, { via: (string | Advisory)[] }>;
  error?: { summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

/** The GitHub advisory ID in an advisory's URL (https://github.com/advisories/GHSA-...). */
export function advisoryId(advisory: Advisory): string {
  return /GHSA(-[0-9a-z]{4}){3}/.exec(advisory.url)?.[0] ?? advisory.url;
}

/** The advisory IDs docs/security.md's "Audit exceptions" table lists (first column). */
export function exceptionsFrom(markdown: string): Set<string> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Audit exceptions')) ?? '';
  return new Set([...section.matchAll(/^\|\s*`?(GHSA(?:-[0-9a-z]{4}){3})`?\s*\|/gm)].map((m) => m[1]!));
}

export interface Verdict {
  /** High or critical advisories without a recorded exception: the audit fails. */
  failing: Advisory[];
  /** High or critical advisories a recorded exception covers. */
  excepted: Advisory[];
  /** Recorded exceptions no advisory matches any more (to remove from the table). */
  stale: string[];
}

export function auditVerdict(report: AuditReport, exceptions: ReadonlySet<string>): Verdict {
  const seen = new Map<string, Advisory>();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via) if (typeof via === 'object' && FAILING.has(via.severity)) seen.set(advisoryId(via), via);
  }
  const advisories = [...seen.entries()];
  return {
    failing: advisories.filter(([id]) => !exceptions.has(id)).map(([, a]) => a),
    excepted: advisories.filter(([id]) => exceptions.has(id)).map(([, a]) => a),
    stale: [...exceptions].filter((id) => !seen.has(id)),
  };
}

function main(): number {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    process.stderr.write(`npm audit gave no report: ${run.stderr.trim().split('\n').at(-1) ?? ''}\n`);
    return 1;
  }
  if (report.vulnerabilities === undefined) {
    const why = report.message ?? report.error?.summary ?? 'no report';
    process.stdout.write(`npm audit could not run against this registry (${why})\n`);
    if (process.env.AUDIT_REQUIRED === '1') return 1;
    process.stdout.write('audit SKIPPED: the registry offers no audit endpoint (set AUDIT_REQUIRED=1 to fail instead)\n');
    return 0;
  }
  const verdict = auditVerdict(report, exceptionsFrom(readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8')));
  for (const a of verdict.excepted) process.stdout.write(`excepted (docs/security.md): ${advisoryId(a)} ${a.severity} ${a.name}: ${a.title}\n`);
  for (const id of verdict.stale) process.stdout.write(`stale exception in docs/security.md, no advisory matches it now: ${id}\n`);
  for (const a of verdict.failing) process.stderr.write(`${a.severity} advisory ${advisoryId(a)} in ${a.name} ${a.range ?? ''}: ${a.title} (${a.url})\n`);
  if (verdict.failing.length > 0) {
    process.stderr.write(`${verdict.failing.length} high or critical advisories in production dependencies: update them, or record in docs/security.md why they do not apply\n`);
    return 1;
  }
  process.stdout.write(`npm audit: no high or critical advisory in production dependencies${verdict.excepted.length ? ` beyond ${verdict.excepted.length} recorded exceptions` : ''}\n`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
