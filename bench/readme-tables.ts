/**
 * Prints the docs' benchmark tables from bench/results/*.json, so documented figures are always those of
 * the last `npm run bench`. With --write, replaces each table between its markers
 * (`<!-- bench:NAME -->` ... `<!-- /bench:NAME -->`) in README.md and docs/*.md (docs/performance.md,
 * docs/design.md).
 * Run: node bench/readme-tables.ts [--write]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderTable } from '../src/monitor/format.ts';

interface Results {
  quick?: boolean;
  machine: { cpus: number; cpu?: string; memory_gb?: number; node: string; load_1m_at_start?: number };
  at: string;
  rows: Record<string, unknown>[];
}

/** Each documented table: the results file it comes from and the columns it shows. */
const TABLES: Record<string, { file: string; columns: string[] }> = {
  throughput: {
    file: 'throughput',
    columns: [
      'scenario',
      'concurrency',
      'achieved_pages_per_s',
      'bound_pages_per_s',
      'ratio',
      'users_per_hour',
      'cpu_s_per_1000_pages',
      'peak_rss_mb',
      'worker_cpu_pct',
      'sim_cpu_pct',
      'warehouse_cpu_pct',
      'users_saved',
      'unsaved_requests',
    ],
  },
  memory: {
    file: 'memory',
    columns: [
      'scenario',
      'concurrency',
      'ratio',
      'peak_rss_mb',
      'files_mb',
      'duckdb_library_mb',
      'v8_heap_mb',
      'v8_heap_used_mb',
      'v8_kept_mb',
      'malloc_main_mb',
      'other_anon_mb',
      'array_buffers_mb',
      'users_saved',
    ],
  },
  'rate-limited': {
    file: 'rate-limited',
    columns: ['scenario', 'concurrency', 'achieved_pages_per_s', 'limit_pages_per_s', 'ratio', 'http_429', 'cpu_s_per_1000_pages', 'peak_rss_mb', 'users_saved'],
  },
  'cpu-ceiling': {
    file: 'cpu-ceiling',
    columns: ['scenario', 'concurrency', 'achieved_pages_per_s', 'pages_per_cpu_s', 'rows_per_cpu_s', 'friends_per_row', 'cpu_s_per_1000_pages', 'peak_rss_mb'],
  },
  'cpu-stages': { file: 'cpu-stages', columns: ['stage', 'share_pct', 'us_per_page'] },
  peer: {
    file: 'peer',
    columns: ['scenario', 'concurrency', 'users', 'pages', 'achieved_pages_per_s', 'pages_per_cpu_s', 'friendfleet_speedup', 'peak_rss_mb'],
  },
  projection: {
    file: 'projection',
    columns: ['scenario', 'threads_per_dyno', 'pages_per_s_per_dyno', 'users_per_hour_per_dyno', 'fleet_users_per_day', 'days_for_3_6m_users', 'read_cost_usd'],
  },
  parse: { file: 'parse', columns: ['pages', 'parser', 'us_per_page', 'fast_path_share', 'agrees_with_dom', 'page_bytes'] },
  budget: { file: 'budget', columns: ['concurrency', 'bottleneck_jobs_per_s', 'local_budget_jobs_per_s'] },
  'bluesky-network': {
    file: 'bluesky-network',
    columns: ['source', 'users_per_hour_at_3000', 'requests_per_user', 'kb_per_user', 'host_budget_use_min', 'host_budget_use_mean', 'fleet_days_30m_1_worker', 'fleet_days_30m_10_workers'],
  },
};

function block(name: string): string | undefined {
  const { file, columns } = TABLES[name]!;
  const url = new URL(`./results/${file}.json`, import.meta.url);
  if (!existsSync(url)) return undefined;
  const r = JSON.parse(readFileSync(url, 'utf8')) as Results;
  if (r.quick) {
    process.stderr.write(`bench/results/${file}.json is from a --quick run; run \`npm run bench\` for README figures\n`);
    return undefined;
  }
  const shown = columns.filter((c) => r.rows.some((row) => row[c] !== undefined && row[c] !== null));
  const load = r.machine.load_1m_at_start === undefined ? '' : `, load average ${r.machine.load_1m_at_start} at start`;
  const machine = `${r.machine.cpus}-core ${r.machine.cpu ?? 'CPU'}${r.machine.memory_gb ? `, ${r.machine.memory_gb} GB` : ''}, Node ${r.machine.node}`;
  return `\`\`\`\n${renderTable(r.rows, shown)}\n\`\`\`\n\n(\`bench/results/${file}.json\`, ${r.at.slice(0, 16).replace('T', ' ')} UTC; ${machine}${load}.)`;
}

const docs = [
  new URL('../README.md', import.meta.url),
  ...readdirSync(new URL('../docs/', import.meta.url))
    .filter((f) => f.endsWith('.md'))
    .map((f) => new URL(`../docs/${f}`, import.meta.url)),
];
if (process.argv.includes('--write')) {
  for (const url of docs) {
    const before = readFileSync(url, 'utf8');
    let doc = before;
    for (const name of Object.keys(TABLES)) {
      const re = new RegExp(`(<!-- bench:${name} -->\\n)[\\s\\S]*?(\\n<!-- /bench:${name} -->)`);
      if (!re.test(doc)) continue;
      const content = block(name);
      if (content) doc = doc.replace(re, (_m, open: string, close: string) => `${open}${content}${close}`);
    }
    if (doc !== before) writeFileSync(url, doc);
  }
} else {
  for (const name of Object.keys(TABLES)) process.stdout.write(`<!-- bench:${name} -->\n${block(name) ?? '(no results yet)'}\n<!-- /bench:${name} -->\n\n`);
}
