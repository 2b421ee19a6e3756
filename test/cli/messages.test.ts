/** Issue 15 §7: what the CLI says when a command cannot start, in one line, and what its help says. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

describe('CLI messages', () => {
  const dir = tempDir();

  it('a port in use is one line and exit 2, not a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = await runCli(['sim', '--port', String(port)], {}, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`friendfleet: cannot listen on 127.0.0.1:${port}: the port is in use by another process (EADDRINUSE); choose another port`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('export without --out says so in one line instead of printing the help', async () => {
    const r = await runCli(['export'], {}, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('friendfleet: export needs --out FILE: the file to write the edges to (--format csv, ndjson or parquet)');
  });

  it('read-only commands describe --sink as the warehouse they read; --progress-interval takes a duration', () => {
    const program = buildProgram();
    const help = (name: string) => program.commands.find((c) => c.name() === name)!.helpInformation();
    for (const name of ['monitor', 'plan', 'export']) {
      expect(help(name), name).toMatch(/--sink <uri>\s+warehouse to read/);
      expect(help(name), name).not.toContain('warehouse to write to');
    }
    expect(help('collect')).toMatch(/--sink <uri>\s+warehouse to write to/);
    expect(help('collect')).toMatch(/--progress-interval <duration>\s+time between progress log lines, a duration/);
    // collect's some 50 flags come in headed parts, and no placeholder is wider than a word.
    expect(help('collect').match(/^\S.*:$/gm)).toEqual(['Source:', 'Users and buckets:', 'Rate, limits and retries:', 'Warehouse:', 'Worker and output:', 'Options:']);
    expect(help('collect')).toContain('--users <table>');
  });
});
