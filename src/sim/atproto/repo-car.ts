import { createHash } from 'node:crypto';
import { encode } from '@ipld/dag-cbor';
import { CID, digest, varint } from 'multiformats';
import { InternalError } from '../../core/errors.ts';

/** DAG-CBOR's multicodec and SHA-256's multihash code: every block of an atproto repository. */
const DAG_CBOR = 0x71;
const SHA2_256 = 0x12;

interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** One record of a repository, under its MST key `collection/rkey`. */
export interface RepoRecord {
  key: string;
  value: unknown;
}

function block(value: unknown): Block {
  const bytes = allStrings(value) ? stringsCbor(value) : encode(value);
  const hash = createHash('sha256').update(bytes).digest();
  return { cid: CID.createV1(DAG_CBOR, digest.create(SHA2_256, hash)), bytes };
}

/** The CID a value would have as a repository block (for links to records that live elsewhere). */
export function cidOf(value: unknown): CID {
  return block(value).cid;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function allStrings(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const values = Object.values(value);
  return values.length < 24 && values.every((v) => typeof v === 'string');
}

/**
 * The DAG-CBOR encoding of a record whose fields are all strings (a follow record), written directly:
 * a listRecords page names 100 CIDs and a repository file holds thousands of follows, and
 * @ipld/dag-cbor's general encoder cost the sim most of its time. `test/sim/atproto.test.ts` holds it
 * to @ipld/dag-cbor's.
 */
function stringsCbor(record: Readonly<Record<string, string>>): Buffer {
  // DAG-CBOR orders map keys by length, then bytewise.
  const keys = Object.keys(record).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const texts = keys.flatMap((key) => [key, record[key]!]);
  let length = 1;
  for (const text of texts) length += textHeadLength(Buffer.byteLength(text)) + Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(length);
  out[0] = 0xa0 + keys.length;
  let at = 1;
  for (const text of texts) {
    // A CBOR text string (major type 3): its length, then its UTF-8 bytes.
    const n = Buffer.byteLength(text);
    if (n < 24) out[at++] = 0x60 + n;
    else if (n < 256) {
      out[at++] = 0x78;
      out[at++] = n;
    } else {
      out[at++] = 0x79;
      out.writeUInt16BE(n, at);
      at += 2;
    }
    at += out.write(text, at, 'utf8');
  }
  return out;
}

function textHeadLength(n: number): number {
  if (n > 65_535) throw new InternalError('text too long for the sim record encoder');
  return n < 24 ? 1 : n < 256 ? 2 : 3;
}

/** `cidOf(record).toString()` for a record of strings, without multiformats' objects (see `stringsCbor`). */
export function cidTextOfStrings(record: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(stringsCbor(record)).digest();
  const bytes = Buffer.concat([Buffer.from([0x01, DAG_CBOR, SHA2_256, 0x20]), hash]);
  // Multibase 'b': RFC 4648 base32, lower case, unpadded.
  let out = 'b';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * A key's MST layer: leading zero bits of its SHA-256, counted in pairs (a fanout of 4), as the atproto
 * repository spec defines it.
 */
function layerOf(key: string): number {
  const hash = createHash('sha256').update(key, 'ascii').digest();
  let zeros = 0;
  for (const byte of hash) {
    if (byte < 64) zeros++;
    if (byte < 16) zeros++;
    if (byte < 4) zeros++;
    if (byte !== 0) break;
    zeros++;
  }
  return zeros;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The Merkle Search Tree of `leaves` (sorted by key) at `layer`: its entries are the keys of that layer,
 * the keys between them subtrees one layer down, each node `{l, e: [{p, k, v, t}]}` with keys
 * prefix-compressed. A layer without keys of its own is a node with only a left subtree.
 */
function mstNode(leaves: readonly { key: string; cid: CID; layer: number }[], from: number, to: number, layer: number, out: Block[]): CID {
  const sub = (a: number, b: number): CID | null => (a === b ? null : mstNode(leaves, a, b, layer - 1, out));
  const separators: number[] = [];
  for (let i = from; i < to; i++) if (leaves[i]!.layer === layer) separators.push(i);
  const e: { p: number; k: Uint8Array; v: CID; t: CID | null }[] = [];
  let previous = '';
  for (let s = 0; s < separators.length; s++) {
    const i = separators[s]!;
    const key = leaves[i]!.key;
    const p = commonPrefix(previous, key);
    e.push({ p, k: Buffer.from(key.slice(p), 'ascii'), v: leaves[i]!.cid, t: sub(i + 1, separators[s + 1] ?? to) });
    previous = key;
  }
  const node = block({ l: sub(from, separators[0] ?? to), e });
  out.push(node);
  return node.cid;
}

/**
 * A repository export as `com.atproto.sync.getRepo` sends it: a CAR v1 file whose root is the signed
 * commit `{did, version: 3, data, rev, prev: null, sig}`, with every MST node and record block. The
 * signature is 64 bytes of a hash, not a key's: readers of the sim do not check signatures.
 */
export function repoCar(did: string, rev: string, records: readonly RepoRecord[]): Uint8Array {
  const blocks: Block[] = [];
  const leaves = records
    .map((r) => {
      const b = block(r.value);
      blocks.push(b);
      return { key: r.key, cid: b.cid, layer: layerOf(r.key) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const top = leaves.reduce((m, l) => Math.max(m, l.layer), 0);
  const data = leaves.length === 0 ? pushed(blocks, block({ l: null, e: [] })) : mstNode(leaves, 0, leaves.length, top, blocks);
  const sig = createHash('sha512').update(`${did} ${rev}`).digest();
  const commit = block({ did, version: 3, data, rev, prev: null, sig: new Uint8Array(sig) });
  return carFile(commit.cid, [commit, ...blocks]);
}

function pushed(blocks: Block[], b: Block): CID {
  blocks.push(b);
  return b.cid;
}

/** CAR v1: a varint-framed DAG-CBOR header `{version: 1, roots}`, then each block as varint, CID, bytes. */
function carFile(root: CID, blocks: readonly Block[]): Uint8Array {
  const header = encode({ version: 1, roots: [root] });
  const parts: Uint8Array[] = [varint.encodeTo(header.length, new Uint8Array(varint.encodingLength(header.length))), header];
  for (const b of blocks) {
    const length = b.cid.bytes.length + b.bytes.length;
    parts.push(varint.encodeTo(length, new Uint8Array(varint.encodingLength(length))), b.cid.bytes, b.bytes);
  }
  return Buffer.concat(parts);
}
