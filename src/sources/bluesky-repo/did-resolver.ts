import { SourceError } from '../../core/errors.ts';
import type { RateInfo } from '../../core/rate.ts';
import type { AddressGuard } from '../address-guard.ts';
import type { HttpClient } from '../http.ts';
import { blueskyRateInfo, resetFromHeaders } from '../rate-headers.ts';
import { didMethod, parseDidDocument, type DidLocation } from './did-document.ts';
import type { HostClients } from './host-clients.ts';

export interface DidResolverOptions {
  /** The PLC directory (https://plc.directory), reached as the settings name it. */
  plc: HttpClient;
  /** Its origin: the budget lane of did:plc lookups. */
  plcOrigin: string;
  /** Clients for did:web hosts. */
  hosts: HostClients;
  /** Checks the PDS endpoints documents name, and did:web hosts. */
  guard: AddressGuard;
  /** DIDs whose answers are kept. Default 100,000. */
  cacheSize?: number;
  /** did:web documents are fetched over https, as the did:web method says; tests of a local host use http. */
  didWebScheme?: 'https' | 'http';
}

/** A resolved DID, with what the answer said about the lookup budget. */
export interface Resolved {
  location: DidLocation;
  rate: RateInfo | undefined;
}

/**
 * DID → PDS: `GET {plc}/{did}` on the PLC directory for did:plc, `GET https://{host}/.well-known/did.json`
 * for did:web (atproto spec "DID"). Answers are kept for the run (a user's later pages, the handles
 * pass), the least recently resolved dropped past `cacheSize`. The PDS endpoint must pass the address
 * guard: a document naming a metadata or private address fails its user, never reaches it.
 */
export class DidResolver {
  private readonly options: DidResolverOptions;
  private readonly cache = new Map<string, DidLocation>();

  constructor(options: DidResolverOptions) {
    this.options = options;
  }

  /** Where `did`'s document is fetched from: the budget lane of its lookup. Throws for a DID that cannot resolve. */
  lookupOrigin(did: string): string {
    const m = didMethod(did);
    return m.method === 'plc' ? this.options.plcOrigin : this.webOrigin(m.host);
  }

  cached(did: string): DidLocation | undefined {
    return this.cache.get(did);
  }

  /** Fetches and reads `did`'s document: one request, to `lookupOrigin(did)`. */
  async resolve(did: string, signal?: AbortSignal): Promise<Resolved> {
    const m = didMethod(did);
    const res = m.method === 'plc' ? await this.options.plc.get(`/${did}`, signal) : await this.options.hosts.get(this.webOrigin(m.host)).get('/.well-known/did.json', signal);
    const rate = blueskyRateInfo(res.headers);
    let found: DidLocation;
    try {
      found = parseDidDocument(did, res.status, res.body);
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      const resetAt = error.kind === 'rate_limited' ? (rate?.resetAt ?? resetFromHeaders(res.headers)) : undefined;
      throw new SourceError(error.kind, error.message, { httpStatus: res.status, rate, resetAt });
    }
    const location = { pds: this.options.guard.checkUrl(found.pds).origin, handle: found.handle };
    this.remember(did, location);
    return { location, rate };
  }

  private webOrigin(host: string): string {
    return this.options.guard.checkUrl(`${this.options.didWebScheme ?? 'https'}://${host}`).origin;
  }

  private remember(did: string, location: DidLocation): void {
    this.cache.delete(did);
    this.cache.set(did, location);
    if (this.cache.size > (this.options.cacheSize ?? 100_000)) this.cache.delete(this.cache.keys().next().value!);
  }
}
