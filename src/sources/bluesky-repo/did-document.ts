import { SourceError } from '../../core/errors.ts';
import { jsonObject } from './parse.ts';

/** What a DID document says of an account: where its repository is, and the handle it claims. */
export interface DidLocation {
  /** The PDS's service endpoint (an origin such as https://morel.us-east.host.bsky.network). */
  readonly pds: string;
  /** The first `at://` handle of `alsoKnownAs`, as the document claims it (not checked against DNS). */
  readonly handle: string | undefined;
}

/** A DID's document lives at the PLC directory (`did:plc`) or on the DID's own host (`did:web`). */
export type DidMethod = { method: 'plc' } | { method: 'web'; host: string };

/**
 * The method of an atproto DID: `did:plc:` + 24 base32 characters, or `did:web:` + a host name (with a
 * port as `%3A`; atproto uses did:web at the top of a domain only, without a path). Anything else can
 * never resolve: `SourceError('fatal')`.
 */
export function didMethod(did: string): DidMethod {
  if (/^did:plc:[a-z2-7]{24}$/.test(did)) return { method: 'plc' };
  const web = /^did:web:([^:]+)$/.exec(did);
  if (web) {
    const host = decodeURIComponent(web[1]!);
    if (/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host)) return { method: 'web', host: host.toLowerCase() };
  }
  throw new SourceError('fatal', `not an atproto DID (did:plc, or did:web at the top of a domain): ${did.slice(0, 100)}`);
}

/**
 * Reads the answer to a DID document request. A document must be about `did` and name its PDS as the
 * `#atproto_pds` service of type `AtprotoPersonalDataServer` (atproto spec "DID"); a document without
 * one says the account is hosted nowhere (`not_found`). The PLC directory answers 404 "DID not
 * registered" or "DID not available" (tombstoned), and a did:web host 404 or 410: `not_found`.
 */
export function parseDidDocument(did: string, status: number, body: string): DidLocation {
  const o = jsonObject(body);
  const said = typeof o?.message === 'string' ? `: ${o.message}` : '';
  if (status === 404 || status === 410) throw new SourceError('not_found', `DID document not found (HTTP ${status}${said})`, { httpStatus: status });
  if (status === 429) throw new SourceError('rate_limited', `rate limited by the DID directory (HTTP 429${said})`, { httpStatus: status });
  if (status >= 500) throw new SourceError('transient', `DID directory error ${status}${said}`, { httpStatus: status });
  if (status !== 200) throw new SourceError('fatal', `DID document request refused (HTTP ${status}${said})`, { httpStatus: status });
  if (!o) throw new SourceError('invalid_response', 'DID document is not a JSON object');
  if (o.id !== did) throw new SourceError('invalid_response', `DID document is about ${String(o.id).slice(0, 100)}, not ${did}`);
  const services = Array.isArray(o.service) ? (o.service as Record<string, unknown>[]) : [];
  const pds = services.find((s) => (s?.id === '#atproto_pds' || s?.id === `${did}#atproto_pds`) && s?.type === 'AtprotoPersonalDataServer');
  if (typeof pds?.serviceEndpoint !== 'string') throw new SourceError('not_found', 'DID document names no PDS (#atproto_pds): the account is hosted nowhere');
  const aka = Array.isArray(o.alsoKnownAs) ? (o.alsoKnownAs as unknown[]) : [];
  const handle = aka.find((a): a is string => typeof a === 'string' && a.startsWith('at://'))?.slice('at://'.length);
  return { pds: pds.serviceEndpoint, handle: handle || undefined };
}
