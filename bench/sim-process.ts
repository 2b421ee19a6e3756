import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SimStats } from '../src/sim/server.ts';

export const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

export interface SimProcess {
  url: string;
  /** The AT Protocol network's PLC directory and relay, when started with `--atproto-hosts`. */
  plcUrl?: string | undefined;
  relayUrl?: string | undefined;
  child: ChildProcess;
  /** The sim's request, status and 429 counters (`GET /_sim/stats`). */
  stats: () => Promise<SimStats>;
  stop: () => void;
}

/**
 * Starts `friendfleet sim` in its own process, so its CPU is not charged to the worker being measured.
 * Resolves with its URL once it listens.
 */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, [CLI, 'sim', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const network = args.includes('--atproto-hosts');
  const { url, plcUrl, relayUrl } = await new Promise<{ url: string; plcUrl?: string; relayUrl?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sim exited with code ${code}`)));
    let url = '';
    lines.on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) url = m[1]!;
      const n = /plc directory on (\S+), relay on (\S+),/.exec(line);
      if (n) resolve({ url, plcUrl: n[1]!, relayUrl: n[2]! });
      else if (m && !network) resolve({ url });
    });
  });
  return {
    url,
    plcUrl,
    relayUrl,
    child,
    stats: async () => (await (await fetch(`${url}/_sim/stats`)).json()) as SimStats,
    stop: () => child.kill('SIGTERM'),
  };
}
