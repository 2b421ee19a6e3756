/** Issue 15 §7: under Node 20 the CLI died with an undici stack trace instead of naming the version it needs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE, unsupportedNode } from '../../src/cli/node-version.ts';

describe('the Node.js version check main.ts runs before any import', () => {
  it('refuses an older Node in one line naming both versions', () => {
    expect(unsupportedNode('20.20.2')).toBe('friendfleet needs Node.js 22.19 or newer (this is 20.20.2); install Node 24 LTS (https://nodejs.org, or nvm install 24)');
    expect(unsupportedNode('22.18.0')).toMatch(/^friendfleet needs Node.js 22.19 or newer \(this is 22.18.0\)/);
    expect(unsupportedNode('18.0.0')).toBeDefined();
  });

  it('accepts 22.19 and newer', () => {
    for (const v of ['22.19.0', '22.20.1', '23.0.0', '24.11.1', process.versions.node]) expect(unsupportedNode(v), v).toBeUndefined();
  });

  it('agrees with package.json engines, and main.ts checks before it imports the CLI', () => {
    const engines = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(`>=${MIN_NODE.replace(/\.0$/, '')}`).toBe(engines);
    const main = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8');
    expect(main.indexOf("import('./node-version.ts')")).toBeGreaterThan(-1);
    expect(main.indexOf("import('./node-version.ts')")).toBeLessThan(main.indexOf("import('./entry.ts')"));
    expect(main).not.toMatch(/^import /m);
  });
});
