import { CarBufferReader } from '@ipld/car/buffer-reader';
import { decode } from '@ipld/dag-cbor';
import { CID } from 'multiformats';
import { SourceError } from '../../core/errors.ts';
import { FOLLOW_COLLECTION, followSubject } from './parse.ts';

const FIRST_KEY = `${FOLLOW_COLLECTION}/`;
/** Record keys are ASCII below DEL, so every follow key sorts below this one. */
const PAST_KEYS = `${FOLLOW_COLLECTION}/\x7f`;

interface MstEntry {
  p: number;
  k: Uint8Array;
  v: CID;
  t: CID | null;
}

function unreadable(message: string): SourceError {
  return new SourceError('invalid_response', `repository CAR file: ${message}`);
}

/**
 * The follows in a repository export (`com.atproto.sync.getRepo`, a CAR v1 file), newest first as
 * listRecords gives them: the DIDs of the `app.bsky.graph.follow` records, by descending record key,
 * only those keyed below `before` when given (the rest of a listing begun with listRecords).
 *
 * The commit at the file's root names the Merkle Search Tree of the repository (atproto spec
 * "Repository"); the walk visits only the subtrees whose key range meets the follow collection, and
 * decodes no other record. A commit for another DID, a block the tree names but the file lacks, or a
 * follow record of another shape makes the file unreadable: a partial list is never returned.
 * Signatures and block hashes are not checked: the PDS is the authority for its repositories here,
 * and the transport (TLS, content length) guards the bytes.
 */
export function followsInCar(bytes: Uint8Array, did: string, before?: string): string[] {
  let reader: CarBufferReader;
  try {
    reader = CarBufferReader.fromBytes(bytes);
  } catch (error) {
    throw unreadable(`not a CAR file (${error instanceof Error ? error.message : String(error)})`);
  }
  // Keyed by the CID's bytes as a string: cheaper than its base32 text, and as exact.
  const blocks = new Map<string, Uint8Array>();
  for (const block of reader.blocks()) blocks.set(Buffer.from(block.cid.bytes).toString('latin1'), block.bytes);
  const read = (cid: unknown): unknown => {
    const link = CID.asCID(cid);
    if (!link) throw unreadable(`a link that is not a CID`);
    const data = blocks.get(Buffer.from(link.bytes).toString('latin1'));
    if (!data) throw unreadable(`block ${link.toString()} is missing`);
    return decode(data);
  };
  const root = reader.getRoots()[0];
  if (!root) throw unreadable('no root');
  const commit = read(root) as { did?: unknown; data?: unknown } | null;
  if (commit?.did !== did) throw unreadable(`its commit is for ${String(commit?.did).slice(0, 100)}, not ${did}`);

  const found: [rkey: string, subject: string][] = [];
  const walk = (cid: unknown): void => {
    const node = read(cid) as { l?: unknown; e?: unknown } | null;
    if (!node || !Array.isArray(node.e)) throw unreadable('a tree node of an unknown shape');
    const entries = node.e as MstEntry[];
    const keys: string[] = [];
    let previous = '';
    for (const e of entries) {
      if (typeof e?.p !== 'number' || !(e.k instanceof Uint8Array)) throw unreadable('a tree entry of an unknown shape');
      previous = previous.slice(0, e.p) + Buffer.from(e.k).toString('latin1');
      keys.push(previous);
    }
    // The left subtree holds the keys below the first entry's; entry i's subtree those between it and the next.
    if (node.l !== null && node.l !== undefined && (keys.length === 0 || keys[0]! > FIRST_KEY)) walk(node.l);
    entries.forEach((e, i) => {
      const key = keys[i]!;
      if (key.startsWith(FIRST_KEY)) {
        const rkey = key.slice(FIRST_KEY.length);
        if (before === undefined || rkey < before) {
          const subject = followSubject(read(e.v));
          if (subject === undefined) throw unreadable(`record ${key} is not a follow record`);
          found.push([rkey, subject]);
        }
      }
      const next = keys[i + 1];
      if (e.t !== null && e.t !== undefined && key < PAST_KEYS && (next === undefined || next > FIRST_KEY)) walk(e.t);
    });
  };
  walk(commit.data);
  // The walk goes in key order, oldest follow first.
  const dids = new Array<string>(found.length);
  for (let i = 0; i < found.length; i++) dids[i] = found[found.length - 1 - i]![1];
  return dids;
}
