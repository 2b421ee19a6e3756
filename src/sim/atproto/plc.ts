import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import { bluesky } from '../protocols/bluesky.ts';
import type { AtprotoAccounts } from './accounts.ts';
import { json } from './xrpc.ts';

const DID_DOC_TYPE = 'application/did+ld+json; charset=utf-8';

/** A fixed secp256k1 public key in multibase: the sim signs nothing, but documents carry a key as real ones do. */
const SIGNING_KEY = 'zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF';

/**
 * The PLC directory (did-method-plc's packages/server): `GET /{did}` answers a `did:plc` DID's document,
 * `{"@context", id, alsoKnownAs: ["at://handle"], verificationMethod, service: [{id: "#atproto_pds",
 * type: "AtprotoPersonalDataServer", serviceEndpoint}]}` as `application/did+ld+json`, or 404
 * `{"message": "DID not registered: ..."}` for a DID it never saw and "DID not available: ..." for a
 * tombstoned one. The PLC server states no rate limit; the sim's, when set, uses the `ratelimit-*`
 * headers of the other hosts.
 */
export function plcProtocol(accounts: AtprotoAccounts, hostUrls: readonly string[]): SimProtocol {
  return {
    name: 'plc',
    matches: (pathname) => pathname.startsWith('/did:'),
    handle(request: SimRequest): SimResponse {
      const did = decodeURIComponent(request.pathname.slice(1));
      const index = did.startsWith('did:plc:') ? accounts.indexOfDid(did) : undefined;
      if (index === undefined) return json(404, { message: `DID not registered: ${did}` });
      if (accounts.tombstoned(index)) return json(404, { message: `DID not available: ${did}` });
      const doc = {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1', 'https://w3id.org/security/suites/secp256k1-2019/v1'],
        id: did,
        alsoKnownAs: [`at://${accounts.handleOf(index)}`],
        verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: SIGNING_KEY }],
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: hostUrls[accounts.hostOf(index)]! }],
      };
      return json(200, doc, DID_DOC_TYPE);
    },
    clientKey: (request) => `plc:${request.remoteAddress}`,
    rateLimitHeaders: (state) => bluesky.rateLimitHeaders(state),
    rateLimited: () => json(429, { message: 'Too Many Requests' }),
    serverError: (status) => json(status, { message: 'Internal Server Error' }),
  };
}
