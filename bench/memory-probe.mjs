/**
 * Loaded into a worker with `node --import ./bench/memory-probe.mjs` (bench/memory.ts does this) to
 * see where its memory goes: every 500 ms it reads V8's view (`process.memoryUsage()`) and the kernel's
 * (`/proc/self/smaps`: resident MB by kind of mapping), and at exit writes the readings to
 * MEMORY_PROBE_FILE as JSON. Plain JavaScript: a .ts file would make Node load its type stripper
 * (WebAssembly, ~30 MB) into the process being measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.MEMORY_PROBE_FILE;
const MB = 1048576;

/**
 * Resident MB by kind of mapping. V8 takes its heap from the system in 256 KB pages, each its own
 * anonymous mapping (`v8Pages`); `mallocMain` is malloc's main arena (`[heap]`: the main thread's
 * allocations, ArrayBuffer contents among them); `otherAnon` is the rest: the other threads' malloc
 * arenas, DuckDB's allocations, WebAssembly memory (undici's HTTP parser), V8 code, thread stacks.
 */
function mappings() {
  const out = { nodeBinary: 0, duckdbLibrary: 0, otherFiles: 0, v8Pages: 0, mallocMain: 0, otherAnon: 0 };
  let kind = 'otherAnon';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[3];
      const bytes = parseInt(head[2], 16) - parseInt(head[1], 16);
      if (path === '') kind = bytes === 262144 ? 'v8Pages' : 'otherAnon';
      else if (path === '[heap]') kind = 'mallocMain';
      else if (path.startsWith('[')) kind = 'otherAnon';
      else if (path.includes('duckdb')) kind = 'duckdbLibrary';
      else if (path === process.execPath) kind = 'nodeBinary';
      else kind = 'otherFiles';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}

function read() {
  const m = process.memoryUsage();
  return {
    t: Date.now(),
    rss: m.rss / MB,
    heapUsed: m.heapUsed / MB,
    heapTotal: m.heapTotal / MB,
    external: m.external / MB,
    arrayBuffers: m.arrayBuffers / MB,
    ...mappings(),
  };
}

if (file) {
  const readings = [];
  setInterval(() => readings.push(read()), 500).unref();
  process.on('exit', () => {
    readings.push(read());
    writeFileSync(file, JSON.stringify(readings));
  });
}
