import { BrokenUsers, type FaultKind } from '../faults.ts';
import { SimGraph } from '../graph.ts';
import { hash3, unit } from '../hash.ts';
import { startSim, type RunningSim, type SimStats } from '../server.ts';
import { AtprotoAccounts } from './accounts.ts';
import { pdsProtocol } from './pds.ts';
import { plcProtocol } from './plc.ts';
import { relayProtocol } from './relay.ts';

export interface AtprotoNetworkOptions {
  /** The graph the network serves (the same users and follows as the other protocols). */
  graph: SimGraph;
  /** PDS hosts the repositories are spread over. Default 50. */
  hosts?: number;
  /** Requests per window per client at each PDS host; 0 disables the limit. Default 0. */
  rateLimit?: number;
  /** Rate-limit window in ms. Default 5 minutes, as Bluesky's. */
  rateWindowMs?: number;
  /**
   * Host k allows `rateLimit` × (1 ± spread), drawn per host: hosts limit on their own. Default 0 (every
   * host the same).
   */
  rateLimitSpread?: number;
  /** Mean latency of a PDS answer in ms. Default 0. */
  latencyMs?: number;
  /** Hosts (the first ones after the down and failing hosts) whose answers take `slowFactor` times longer. Default 0. */
  slowHosts?: number;
  /** How much slower a slow host is. Default 10. */
  slowFactor?: number;
  /** Hosts (after the down ones) that fail `failingRate` of their answers with 5xx, resets and truncated bodies. Default 0. */
  failingHosts?: number;
  /** Default 0.3. */
  failingRate?: number;
  /** Hosts (the first ones) that refuse every connection: nothing listens on their port. Default 0. */
  downHosts?: number;
  /** The PLC directory's and the relay's limit per window per client; 0 disables it. Default 0. */
  directoryRateLimit?: number;
  /** Mean latency of the PLC directory's and the relay's answers in ms. Default 0. */
  directoryLatencyMs?: number;
  /**
   * Whether repositories hold posts and likes beside follows, so that a repository file weighs what it
   * does on the network (see `AtprotoAccounts`). Default true; tests that do not weigh files leave
   * them out, which makes the sim's CAR files cheaper to build.
   */
  postsAndLikes?: boolean;
  /** Share of users whose follow listings are broken for good (see `BrokenUsers`). Default 0. */
  brokenShare?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export type HostState = 'up' | 'slow' | 'failing' | 'down';

/** One PDS host as the network runs it. */
export interface PdsHost {
  /** Its service endpoint, as DID documents name it. */
  readonly url: string;
  readonly state: HostState;
  /** Requests per window per client; 0 when unlimited. */
  readonly rateLimit: number;
  readonly latencyMs: number;
  /** The host's counters; undefined for a host that is down. */
  stats(): SimStats | undefined;
}

export interface RunningAtprotoNetwork {
  readonly plcUrl: string;
  readonly relayUrl: string;
  readonly hosts: readonly PdsHost[];
  readonly accounts: AtprotoAccounts;
  /** The host that holds user `index`'s repository. */
  hostOfUser(index: number): PdsHost;
  /** Every server's counters: the PLC directory's, the relay's and each host's. */
  describe(): NetworkDescription;
  close(): Promise<void>;
}

export interface NetworkDescription {
  plc: SimStats;
  relay: SimStats;
  hosts: { url: string; state: HostState; rateLimit: number; latencyMs: number; stats: SimStats | undefined }[];
}

const FAILING_FAULTS: readonly FaultKind[] = ['error', 'reset', 'truncate'];

/**
 * The AT Protocol network of the sim: a PLC directory, a relay and `hosts` PDS hosts, each a server of
 * its own on a loopback port with its own rate limit, latency and faults, all serving one graph. Hosts
 * are numbered: the first `downHosts` are down, the next `failingHosts` fail often, the next `slowHosts`
 * are slow, the rest answer as configured.
 */
export async function startAtprotoNetwork(options: AtprotoNetworkOptions): Promise<RunningAtprotoNetwork> {
  const graph = options.graph;
  const count = options.hosts ?? 50;
  const accounts = new AtprotoAccounts(graph, count, options.postsAndLikes ?? true);
  const broken = new BrokenUsers(graph.seed, options.brokenShare ?? 0, ['cursor-loop', 'markup']);
  const down = options.downHosts ?? 0;
  const failing = options.failingHosts ?? 0;
  const slow = options.slowHosts ?? 0;
  const baseLatency = options.latencyMs ?? 0;
  const baseLimit = options.rateLimit ?? 0;
  const spread = options.rateLimitSpread ?? 0;
  const windowMs = options.rateWindowMs ?? 5 * 60_000;
  const listen = options.host ?? '127.0.0.1';
  const servers: RunningSim[] = [];
  const hosts: PdsHost[] = [];
  try {
    for (let k = 0; k < count; k++) {
      const state: HostState = k < down ? 'down' : k < down + failing ? 'failing' : k < down + failing + slow ? 'slow' : 'up';
      const rateLimit = baseLimit === 0 ? 0 : Math.max(1, Math.round(baseLimit * (1 + spread * (2 * unit(hash3(graph.seed, k, 0x6c696d)) - 1))));
      const latencyMs = state === 'slow' ? baseLatency * (options.slowFactor ?? 10) : baseLatency;
      const sim = await startSim({
        graph,
        host: listen,
        protocols: [pdsProtocol(accounts, k, broken)],
        latencyMs,
        rateLimit,
        rateWindowMs: windowMs,
        faultRate: state === 'failing' ? (options.failingRate ?? 0.3) : 0,
        faultKinds: FAILING_FAULTS,
      });
      // A down host's port had a server a moment ago and has none now: connections are refused.
      if (state === 'down') await sim.close();
      else servers.push(sim);
      hosts.push({ url: sim.url, state, rateLimit, latencyMs, stats: () => (state === 'down' ? undefined : sim.stats()) });
    }
    const directory = { graph, host: listen, rateLimit: options.directoryRateLimit ?? 0, rateWindowMs: windowMs, latencyMs: options.directoryLatencyMs ?? 0 };
    let describe: () => NetworkDescription = () => ({ plc: plc.stats(), relay: relay.stats(), hosts: [] });
    // The PLC directory's server also answers for the whole network (`/_sim/network`), for a benchmark in another process.
    const plc = await startSim({
      ...directory,
      protocols: [
        plcProtocol(
          accounts,
          hosts.map((h) => h.url),
        ),
      ],
      control: { '/_sim/network': () => describe() },
    });
    servers.push(plc);
    const relay = await startSim({ ...directory, protocols: [relayProtocol(accounts)] });
    servers.push(relay);
    describe = () => ({
      plc: plc.stats(),
      relay: relay.stats(),
      hosts: hosts.map((h) => ({ url: h.url, state: h.state, rateLimit: h.rateLimit, latencyMs: h.latencyMs, stats: h.stats() })),
    });
    return {
      plcUrl: plc.url,
      relayUrl: relay.url,
      hosts,
      accounts,
      hostOfUser: (index) => hosts[accounts.hostOf(index)]!,
      describe: () => describe(),
      close: async () => {
        await Promise.all(servers.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
}
