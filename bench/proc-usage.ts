import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One reading of a process's CPU time and memory, from /proc (Linux). */
export interface ProcReading {
  /** Epoch ms of the reading. */
  t: number;
  /** User + system CPU seconds the process has used, all its threads (DuckDB's included). */
  cpuS: number;
  /** Resident set now, MB. */
  rssMb: number;
  /** Peak resident set so far (VmHWM), MB. */
  peakRssMb: number;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Reads /proc/PID/stat and /proc/PID/status. Measured from outside the process, so a worker is timed
 * as the real `collect` command, with nothing of the benchmark's own inside it. Undefined once the
 * process is gone.
 */
export function readProc(pid: number): ProcReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { t: Date.now(), cpuS: ticks / CLK_TCK, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process's threads, summed by thread name: `MainThread` (JavaScript), `V8Worker`
 * (the garbage collector's helpers), `libuv-worker` (the thread pool, where DuckDB's queries run).
 */
export function readThreadsCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** A child process's CPU and peak memory over its life, read from /proc every `sampleMs` until it exits. */
export async function watchProcess(child: import('node:child_process').ChildProcess, sampleMs = 250): Promise<{ exitCode: number | null; cpuS: number; peakRssMb: number; wallS: number }> {
  const t0 = Date.now();
  let cpuS = 0;
  let peakRssMb = 0;
  const timer = setInterval(() => {
    const r = readProc(child.pid!);
    if (!r) return;
    cpuS = Math.max(cpuS, r.cpuS);
    peakRssMb = Math.max(peakRssMb, r.peakRssMb);
  }, sampleMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(timer);
  return { exitCode, cpuS, peakRssMb, wallS: (Date.now() - t0) / 1000 };
}
