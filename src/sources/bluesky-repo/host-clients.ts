import type { AddressGuard } from '../address-guard.ts';
import { HttpClient } from '../http.ts';

export interface HostClientsOptions {
  /** Sockets kept open to one host at most. */
  connections: number;
  timeoutMs: number;
  maxResponseMs: number;
  /** Largest answer taken unless a request states its own bound (a CAR file). */
  maxResponseBytes: number;
  /** Every host here was named by an answer (a DID document, a DID): each connection is checked. */
  guard: AddressGuard;
  /** Hosts with connections kept; the one used longest ago is closed past it. Default 1,024. */
  maxHosts?: number;
}

/**
 * HTTP clients for the hosts DID documents name (PDS hosts, did:web hosts), one per origin, made on
 * first use and closed when `maxHosts` more recent ones are in use: the network has thousands of
 * self-hosted PDSs and did:web domains, each met a few times.
 */
export class HostClients {
  private readonly options: HostClientsOptions;
  /** By origin, least recently used first (a Map keeps insertion order). */
  private readonly clients = new Map<string, HttpClient>();
  private readonly closing = new Set<Promise<void>>();

  constructor(options: HostClientsOptions) {
    this.options = options;
  }

  /** The client of `origin` (already checked with the guard's `checkUrl`). */
  get(origin: string): HttpClient {
    let client = this.clients.get(origin);
    if (client) {
      this.clients.delete(origin);
    } else {
      const { connections, timeoutMs, maxResponseMs, maxResponseBytes, guard } = this.options;
      client = new HttpClient({ origin, connections, timeoutMs, maxResponseMs, maxResponseBytes, guard: { addresses: guard, origin: 'found', maxRedirects: 0 } });
      if (this.clients.size >= (this.options.maxHosts ?? 1024)) this.evictOldest();
    }
    this.clients.set(origin, client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
    await Promise.all(this.closing);
  }

  private evictOldest(): void {
    const [origin, client] = this.clients.entries().next().value!;
    this.clients.delete(origin);
    // undici lets requests in flight on a closing client finish.
    const done = client.close().finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}
