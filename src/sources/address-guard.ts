import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { SourceError } from '../core/errors.ts';

/** Kinds of address a source may not reach when it found the address in an answer, checked in this order. */
type AddressClass = 'metadata' | 'link-local' | 'loopback' | 'unspecified' | 'private' | 'reserved';

/** IANA special-purpose registries (RFC 6890) and the clouds' metadata endpoints. */
const RANGES: Record<AddressClass, readonly string[]> = {
  // AWS, GCP, Azure and Oracle (169.254.169.254), AWS ECS tasks, AWS over IPv6, Alibaba Cloud.
  metadata: ['169.254.169.254/32', '169.254.170.2/32', 'fd00:ec2::254/128', '100.100.100.200/32'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  loopback: ['127.0.0.0/8', '::1/128'],
  // Linux connects 0.0.0.0 to the machine itself.
  unspecified: ['0.0.0.0/8', '::/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  reserved: ['192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4', 'ff00::/8'],
};

/** What `allowPrivate` opens: the machine itself and the private ranges, never metadata or link-local. */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['loopback', 'private']);

const DESCRIPTION: Record<AddressClass, string> = {
  metadata: 'a cloud metadata address',
  'link-local': 'a link-local address',
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
  private: 'a private address',
  reserved: 'a reserved address',
};

/** An IPv4 range also as the NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 ranges that carry it. */
function carriers(v4: string, bits: number): [string, number][] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
  return [
    [`64:ff9b::${hex(a, b)}:${hex(c, d)}`, 96 + bits],
    [`2002:${hex(a, b)}:${hex(c, d)}::`, 16 + bits],
  ];
}

function blockList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [address, bits] = range.split('/') as [string, string];
    if (isIP(address) === 6) {
      list.addSubnet(address, Number(bits), 'ipv6');
      continue;
    }
    list.addSubnet(address, Number(bits), 'ipv4');
    for (const [v6, v6bits] of carriers(address, Number(bits))) list.addSubnet(v6, v6bits, 'ipv6');
  }
  return list;
}

const BLOCKS = (Object.keys(RANGES) as AddressClass[]).map((kind) => [kind, blockList(RANGES[kind])] as const);

export interface AddressGuardOptions {
  /**
   * Lets connections reach loopback and private ranges (ALLOW_PRIVATE_ADDRESSES): a lab network, or
   * the sim on this machine. Metadata, link-local and reserved addresses stay refused.
   * @default false
   */
  allowPrivate?: boolean;
  /** Name resolution; tests give a stand-in for DNS. @default node:dns lookup */
  lookup?: LookupFunction;
}

/**
 * Where a source may connect when the address came from an answer (a PDS named in a DID document, a
 * redirect's target) rather than from the settings: never to the machine itself, the private network,
 * link-local or cloud metadata addresses (169.254.169.254 serves credentials on most clouds). Names
 * are checked after resolution, and the connection goes to a checked address, so a name that changes
 * its answer between check and connect (DNS rebinding) gains nothing.
 *
 * A refusal is a `SourceError('refused')`: the user it was for fails with the reason.
 */
export class AddressGuard {
  /** undici's `connect` option (Client, Pool, Agent): every connection it makes is checked first. */
  readonly connect: buildConnector.connector;
  private readonly allowPrivate: boolean;
  private readonly resolve: LookupFunction;

  constructor(options: AddressGuardOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    this.resolve = options.lookup ?? dnsLookup;
    const base = buildConnector({ lookup: this.checkedLookup });
    this.connect = (target, callback) => {
      // An address literal is connected to as is, without a lookup: check it here.
      const host = unbracket(target.hostname);
      const why = isIP(host) ? this.refusal(host) : undefined;
      if (why) return callback(refused(`refused to connect to ${host}, ${why}`), null);
      base(target, callback);
    };
  }

  /** Why `address` (an IP address) may not be reached, such as "a loopback address"; undefined when it may. */
  refusal(address: string): string | undefined {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    for (const [kind, list] of BLOCKS) {
      if (!list.check(address, family)) continue;
      if (this.allowPrivate && PRIVATE_CLASSES.has(kind)) return undefined;
      return PRIVATE_CLASSES.has(kind) ? `${DESCRIPTION[kind]} (ALLOW_PRIVATE_ADDRESSES=true allows it, for a lab network or the sim)` : DESCRIPTION[kind];
    }
    return undefined;
  }

  /**
   * `url` as a URL a source may follow: http or https, no credentials in it, and not an address
   * literal the guard refuses (names are checked when connecting). Throws `SourceError('refused')`.
   */
  checkUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refused(`not a URL: ${shorten(url)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw refused(`${shorten(parsed.protocol)} URL refused: only http and https are followed`);
    if (parsed.username || parsed.password) throw refused('a URL carrying credentials refused');
    const host = unbracket(parsed.hostname);
    const why = isIP(host) ? this.refusal(host) : undefined;
    if (why) throw refused(`refused to connect to ${host}, ${why}`);
    return parsed;
  }

  /** `net.connect`'s lookup: resolves, and passes on only the addresses the guard allows. */
  private readonly checkedLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 0);
      const addresses = found as LookupAddress[];
      const allowed = addresses.filter((a) => this.refusal(a.address) === undefined);
      if (allowed.length === 0) {
        const first = addresses[0];
        const detail = first ? `resolves to ${first.address}, ${this.refusal(first.address)}` : 'resolves to no address';
        return callback(refused(`refused to connect to ${shorten(hostname)}: it ${detail}`), '', 0);
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function refused(message: string): SourceError {
  return new SourceError('refused', message);
}
