import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseWorkModel, planPartitions } from '../../src/partition/plan.ts';
import { expectedPages, fillBins, makespanRatio } from '../../src/partition/work.ts';
import { inRange } from '../../src/partition/bucket.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import type { IdKind } from '../../src/core/ids.ts';
import { compareIds } from '../../src/core/ids.ts';
import type { WorkBucket } from '../../src/partition/work.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();
const PAGE = 20;
const CAP = 2000;

/** Every ID in exactly one bucket, buckets in ID order and not overlapping, counts adding up. */
function expectExactCover(buckets: readonly WorkBucket[], ids: readonly string[], kind: IdKind): void {
  for (let i = 1; i < buckets.length; i++) expect(compareIds(buckets[i - 1]!.max_id, buckets[i]!.min_id, kind)).toBe(-1);
  expect(buckets.reduce((a, b) => a + b.user_count, 0)).toBe(ids.length);
  for (const id of ids) {
    expect(buckets.filter((b) => inRange(id, { kind, min: b.min_id, max: b.max_id })).length, id).toBe(1);
  }
}

let seed = 12345;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}

describe('work model', () => {
  it('counts pages as the collector reads them: at least one, capped, 20 to a page', () => {
    expect(expectedPages(0, CAP, PAGE)).toBe(1);
    expect(expectedPages(20, CAP, PAGE)).toBe(1);
    expect(expectedPages(21, CAP, PAGE)).toBe(2);
    expect(expectedPages(50_000, CAP, PAGE)).toBe(100);
    expect(makespanRatio([10, 10, 40])).toBe(2);
    expect(fillBins([undefined, 2, undefined, 6, undefined])).toEqual([2, 2, 4, 6, 6]);
  });
});

describe('planPartitions on the sim graph (the reference age skew)', () => {
  it('balances work to within 10% where equal counts leave the oldest bucket far behind', async () => {
    const graph = new SimGraph({ users: 20_000, seed: 2 });
    const file = join(dir, 'sim.csv');
    await writeUsersFile(graph, file, { withCounts: true });
    const users = await StagedUserTable.fromFile(file, 'numeric');
    try {
      const { model, note } = await chooseWorkModel(users, async () => [], { maxFriends: CAP, pageSize: PAGE });
      expect(model.kind).toBe('friends_count');
      const plan = await planPartitions(users, model, note, { partitions: 10, balance: 'work', maxFriends: CAP, pageSize: PAGE });
      expect(plan.predicted.work).toBeLessThanOrEqual(1.1);
      expect(plan.predicted.count).toBeGreaterThan(1.35);
      // The oldest bucket holds fewer users than the newest: old accounts follow more.
      expect(plan.buckets[0]!.user_count).toBeLessThan(plan.buckets[9]!.user_count);
      // The expected pages agree with the graph itself.
      const pages = Array.from({ length: graph.size }, (_, i) => expectedPages(graph.followingCount(i), CAP, PAGE));
      expect(plan.buckets.reduce((a, b) => a + b.expected_pages, 0)).toBe(pages.reduce((a, b) => a + b, 0));
      const ids = Array.from({ length: graph.size }, (_, i) => graph.idOf(i).toString());
      expectExactCover(plan.buckets, ids, 'numeric');
    } finally {
      await users.close();
    }
  });
});

describe('work cuts are exact for any ID', () => {
  it.each([1, 2, 3])('puts every user in exactly one bucket, IDs around 2^53 and 2^63 (seed %i)', async (s) => {
    seed = s * 7919;
    const ids = new Set<bigint>();
    while (ids.size < 600) {
      const centre = random() < 0.5 ? 1n << 53n : (1n << 63n) - 1000n;
      const id = centre + BigInt(Math.floor(random() * 1000)) - 500n;
      if (id <= (1n << 63n) - 1n) ids.add(id);
    }
    ids.add((1n << 53n) + 1n);
    ids.add(1n << 53n);
    const list = [...ids].map(String);
    const file = join(dir, `ids-${s}.csv`);
    writeFileSync(file, 'user_id,friends_count\n' + list.map((id) => `${id},${Math.floor(random() * 5000)}`).join('\n') + '\n');
    const users = await StagedUserTable.fromFile(file, 'numeric');
    try {
      for (const n of [1, 4, 13]) {
        const buckets = await users.cut(n, 'work', { kind: 'friends_count', maxFriends: CAP, pageSize: PAGE });
        expect(buckets.length).toBeLessThanOrEqual(n);
        expectExactCover(buckets, list, 'numeric');
      }
    } finally {
      await users.close();
    }
  });

  it('cuts opaque IDs (DIDs) into lexicographic ranges', async () => {
    seed = 99;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const dids = Array.from({ length: 400 }, () => `did:plc:${Array.from({ length: 24 }, () => alphabet[Math.floor(random() * 32)]).join('')}`);
    const file = join(dir, 'dids.csv');
    writeFileSync(file, 'user_id,friends_count\n' + dids.map((d, i) => `${d},${i * 7}`).join('\n') + '\n');
    const users = await StagedUserTable.fromFile(file, 'opaque');
    try {
      for (const balance of ['count', 'work'] as const) {
        const buckets = await users.cut(6, balance, { kind: 'friends_count', maxFriends: CAP, pageSize: PAGE });
        expectExactCover(buckets, dids, 'opaque');
      }
    } finally {
      await users.close();
    }
  });
});

describe('a work model fitted from collected rows', () => {
  it('is used when the table has no friends_count, and balances better than equal counts', async () => {
    const file = join(dir, 'nocounts.csv');
    const ids = Array.from({ length: 2000 }, (_, i) => String(1000 + i));
    writeFileSync(file, 'user_id\n' + ids.join('\n') + '\n');
    const users = await StagedUserTable.fromFile(file, 'numeric');
    try {
      // Collected rows say the oldest quarter took 40 requests a user, the rest 5.
      const samples = ids.filter((_, i) => i % 4 === 0).map((id, j) => ({ user_id: id, requests: j < 125 ? 40 : 5 }));
      const { model, note } = await chooseWorkModel(users, async () => samples, { maxFriends: CAP, pageSize: PAGE });
      expect(model.kind).toBe('fitted');
      expect(note).toContain('fitted from 500 collected users');
      const plan = await planPartitions(users, model, note, { partitions: 4, balance: 'work', maxFriends: CAP, pageSize: PAGE });
      expect(plan.predicted.count).toBeGreaterThan(2);
      expect(plan.predicted.work).toBeLessThan(1.1);
      expectExactCover(plan.buckets, ids, 'numeric');
      // Too few samples: uniform, and the note says why.
      const few = await chooseWorkModel(users, async () => samples.slice(0, 10), { maxFriends: CAP, pageSize: PAGE });
      expect(few.model.kind).toBe('uniform');
      expect(few.note).toContain('only 10 collected users');
    } finally {
      await users.close();
    }
  });
});
