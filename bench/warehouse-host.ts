/**
 * A warehouse host in a process of its own: the DuckDB file a worker writes to through `SINK=host:URL`,
 * as a fleet's workers do (and as a dyno writes to a remote warehouse), so that the warehouse's memory
 * and CPU are not charged to the worker being measured.
 * Run alone: HOST_SECRET=... node bench/warehouse-host.ts FILE (prints "listening on URL"; SIGTERM closes it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { newHostSecret } from '../src/sinks/host/host-file.ts';
import { startHost } from '../src/sinks/host/server.ts';

export interface HostProcess {
  url: string;
  /** The host's secret (HOST_SECRET), which the worker must send. */
  secret: string;
  child: ChildProcess;
  /** Closes the host (every row flushed to the file) and waits for its process to end. */
  stop: () => Promise<void>;
}

export async function startHostProcess(dbPath: string): Promise<HostProcess> {
  const secret = newHostSecret();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dbPath], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOST_SECRET: secret } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`warehouse host exited with code ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return {
    url,
    secret,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const host = await startHost(process.argv[2]!, { secret: process.env.HOST_SECRET });
  process.stdout.write(`warehouse host listening on ${host.url}\n`);
  process.once('SIGTERM', () => {
    void host.close().then(() => process.exit(0));
  });
}
