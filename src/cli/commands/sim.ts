import type { Command } from 'commander';
import { parseValue } from '../../config/load.ts';
import * as p from '../../config/parsers.ts';
import type { ValueParser } from '../../config/parsers.ts';
import { BROKEN_KINDS, DEFAULT_FAULT_KINDS, FAULT_KINDS, type BrokenKind, type FaultKind } from '../../sim/faults.ts';
import { SimGraph } from '../../sim/graph.ts';
import { startSim, type RunningSim } from '../../sim/server.ts';
import { startAtprotoNetwork, type RunningAtprotoNetwork } from '../../sim/atproto/network.ts';
import { writeUsersFile } from '../../sim/users-file.ts';
import { VariantUsers } from '../../sim/variants.ts';
import { SOURCE_NAMES } from '../../sources/source.ts';

/** Sim flags are flags only (the sim is a test double, not a deployed worker), validated the same way. */
function flag<T>(opts: Record<string, unknown>, key: string, name: string, parser: ValueParser<T>, fallback: string): T {
  const raw = opts[key] === undefined ? fallback : String(opts[key]);
  return parseValue(name, name, parser, raw);
}

function kinds<T extends string>(raw: unknown, name: string, all: readonly T[], fallback: readonly T[]): T[] {
  if (raw === undefined) return [...fallback];
  return String(raw)
    .split(',')
    .map((k) => parseValue(name, name, p.oneOf(all), k));
}

function graphOptions(opts: Record<string, unknown>): { users: number; seed: number } {
  return {
    users: flag(opts, 'users', '--users', p.integer(1, 2_000_000_000), '10000'),
    seed: flag(opts, 'seed', '--seed', p.integer(0, 2 ** 31 - 1), '1'),
  };
}

export async function startSimFromFlags(opts: Record<string, unknown>): Promise<RunningSim> {
  return startSim({
    ...graphOptions(opts),
    port: flag(opts, 'port', '--port', p.integer(0, 65_535), '8787'),
    host: opts.host === undefined ? '127.0.0.1' : String(opts.host),
    latencyMs: flag(opts, 'latencyMs', '--latency-ms', p.integer(0, 600_000), '0'),
    rateLimit: flag(opts, 'rateLimit', '--rate-limit', p.integer(0, 10_000_000), '0'),
    rateWindowMs: flag(opts, 'rateWindow', '--rate-window', p.duration(1000, 86_400_000), '15m'),
    faultRate: flag(opts, 'faultRate', '--fault-rate', p.fraction(), '0'),
    faultKinds: kinds<FaultKind>(opts.faults, '--faults', FAULT_KINDS, DEFAULT_FAULT_KINDS),
    stallMs: flag(opts, 'stall', '--stall', p.duration(1, 3_600_000), '30s'),
    stormMs: flag(opts, 'storm', '--storm', p.duration(1, 3_600_000), '5s'),
    brokenShare: flag(opts, 'brokenUsers', '--broken-users', p.fraction(), '0'),
    brokenKinds: kinds<BrokenKind>(opts.broken, '--broken', BROKEN_KINDS, BROKEN_KINDS),
    variantShare: variantShare(opts),
  });
}

function variantShare(opts: Record<string, unknown>): number {
  return flag(opts, 'variantUsers', '--variant-users', p.fraction(), '0');
}

/** The AT Protocol network beside the other protocols, when `--atproto-hosts` asks for one. */
async function startNetworkFromFlags(opts: Record<string, unknown>, graph: SimGraph): Promise<RunningAtprotoNetwork | undefined> {
  const hosts = flag(opts, 'atprotoHosts', '--atproto-hosts', p.integer(0, 10_000), '0');
  if (hosts === 0) return undefined;
  return startAtprotoNetwork({
    graph,
    hosts,
    host: opts.host === undefined ? '127.0.0.1' : String(opts.host),
    latencyMs: flag(opts, 'latencyMs', '--latency-ms', p.integer(0, 600_000), '0'),
    rateLimit: flag(opts, 'rateLimit', '--rate-limit', p.integer(0, 10_000_000), '0'),
    rateWindowMs: flag(opts, 'rateWindow', '--rate-window', p.duration(1000, 86_400_000), '15m'),
    rateLimitSpread: flag(opts, 'rateLimitSpread', '--rate-limit-spread', p.fraction(), '0'),
    directoryRateLimit: flag(opts, 'directoryRateLimit', '--directory-rate-limit', p.integer(0, 10_000_000), '0'),
    slowHosts: flag(opts, 'slowHosts', '--slow-hosts', p.integer(0, hosts), '0'),
    failingHosts: flag(opts, 'failingHosts', '--failing-hosts', p.integer(0, hosts), '0'),
    downHosts: flag(opts, 'downHosts', '--down-hosts', p.integer(0, hosts), '0'),
    brokenShare: flag(opts, 'brokenUsers', '--broken-users', p.fraction(), '0'),
  });
}

export function registerSim(program: Command): void {
  const sim = program
    .command('sim')
    .description('run the simulated social network (legacy HTML pages, X API v2, Bluesky XRPC; truth at /_sim/truth/{user_id})')
    .option('--users <n>', 'users in the network (default 10000)')
    .option('--seed <n>', 'graph seed (default 1)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <n>', 'port; 0 picks a free one (default 8787)')
    .option('--latency-ms <ms>', 'mean latency per page, ±25% jitter (default 0)')
    .option('--rate-limit <n>', 'requests per window per client, then 429 with x-rate-limit-reset; 0 = off (default 0)')
    .option('--rate-window <duration>', 'rate-limit window (default 15m)')
    .option('--fault-rate <p>', 'share of requests that get a fault (default 0)')
    .option('--faults <kinds>', `which faults, comma-separated: ${FAULT_KINDS.join(',')} (default ${DEFAULT_FAULT_KINDS.join(',')})`)
    .option('--stall <duration>', 'how long a stall fault holds its answer (default 30s)')
    .option('--storm <duration>', 'how long a 429 storm lasts (default 5s)')
    .option('--broken-users <p>', 'share of users whose follow pages are broken for good (default 0)')
    .option('--broken <kinds>', `how their pages are broken, comma-separated: ${BROKEN_KINDS.join(',')} (default all)`)
    .option('--variant-users <p>', 'share of users answered in the other shapes the real services send: HTML spellings, short and empty pages with a cursor, full X user fields, did:web (default 0)')
    .option(
      '--atproto-hosts <n>',
      'also run an AT Protocol network of the same users: a PLC directory, a relay and this many PDS hosts, each on its own port with the limit and latency above (default 0: none)',
    )
    .option('--rate-limit-spread <p>', 'PDS host k allows --rate-limit x (1 +/- p), drawn per host (default 0)')
    .option('--directory-rate-limit <n>', "the PLC directory's and the relay's requests per window per client; 0 = off (default 0)")
    .option('--slow-hosts <n>', 'PDS hosts ten times slower than --latency-ms (default 0)')
    .option('--failing-hosts <n>', 'PDS hosts failing 30% of their answers with 5xx, resets and truncated bodies (default 0)')
    .option('--down-hosts <n>', 'PDS hosts that refuse every connection (default 0)')
    .passThroughOptions()
    .action(async (opts: Record<string, unknown>) => {
      const running = await startSimFromFlags(opts);
      process.stdout.write(`friendfleet sim listening on ${running.url} (${running.graph.size} users, seed ${running.graph.seed})\n`);
      const network = await startNetworkFromFlags(opts, running.graph);
      if (network)
        process.stdout.write(`atproto network: plc directory on ${network.plcUrl}, relay on ${network.relayUrl}, ${network.hosts.length} PDS hosts (counters at ${network.plcUrl}/_sim/network)\n`);
      const stop = () => {
        void Promise.all([running.close(), network?.close()]).then(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });

  sim
    .command('users')
    .description("write the sim network's users table as CSV (user_id,screen_name)")
    .option('--users <n>', 'users in the network (default 10000)')
    .option('--seed <n>', 'graph seed (default 1)')
    .option('--with-counts', 'add a friends_count column')
    .option('--variant-users <p>', 'the share the sim runs with: their Bluesky DIDs and handles may differ (default 0)')
    .option('--source <name>', `the source the table is for: ${SOURCE_NAMES.join(', ')} (bluesky: DIDs and handles; default twitter-html)`)
    .requiredOption('--out <file>', 'CSV file to write')
    .action(async (opts: Record<string, unknown>) => {
      const graph = new SimGraph(graphOptions(opts));
      const source = flag(opts, 'source', '--source', p.oneOf(SOURCE_NAMES), 'twitter-html');
      const variants = new VariantUsers(graph.seed, variantShare(opts));
      const n = await writeUsersFile(graph, String(opts.out), { withCounts: opts.withCounts === true, naming: source === 'bluesky' || source === 'bluesky-repo' ? 'bluesky' : 'twitter', variants });
      process.stdout.write(`wrote ${n} users to ${String(opts.out)}\n`);
    });
}
