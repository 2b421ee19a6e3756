import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditVerdict, exceptionsFrom } from '../../.ci/audit.ts';

const report = JSON.parse(readFileSync(new URL('../fixtures/npm-audit/report.json', import.meta.url), 'utf8'));
const ids = (advisories: { url: string }[]) => advisories.map((a) => a.url.slice(a.url.lastIndexOf('/') + 1));

describe('the dependency audit (.ci/audit.ts)', () => {
  it('fails on every high or critical advisory of production dependencies, not on moderate ones', () => {
    const verdict = auditVerdict(report, new Set());
    expect(ids(verdict.failing).sort()).toEqual(['GHSA-aaaa-bbbb-cccc', 'GHSA-gggg-hhhh-jjjj']);
  });

  it('passes an advisory docs/security.md records an exception for, and names exceptions nothing matches', () => {
    const table =
      '## Audit exceptions\n\n| advisory | package | why it does not apply |\n|---|---|---|\n| `GHSA-gggg-hhhh-jjjj` | old-stream | only used by a dev tool |\n| GHSA-zzzz-zzzz-zzzz | gone | fixed |\n\n## Next\n| GHSA-aaaa-bbbb-cccc | x | not this section |\n';
    const exceptions = exceptionsFrom(table);
    expect([...exceptions]).toEqual(['GHSA-gggg-hhhh-jjjj', 'GHSA-zzzz-zzzz-zzzz']);
    const verdict = auditVerdict(report, exceptions);
    expect(ids(verdict.failing)).toEqual(['GHSA-aaaa-bbbb-cccc']);
    expect(ids(verdict.excepted)).toEqual(['GHSA-gggg-hhhh-jjjj']);
    expect(verdict.stale).toEqual(['GHSA-zzzz-zzzz-zzzz']);
  });

  it("reads docs/security.md's own exceptions table", () => {
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    expect(doc).toContain('## Audit exceptions');
    expect(auditVerdict({ vulnerabilities: {} }, exceptionsFrom(doc)).failing).toEqual([]);
  });
});
