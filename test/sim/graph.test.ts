import { describe, expect, it } from 'vitest';
import { SimGraph } from '../../src/sim/graph.ts';
import { REFERENCE_MEAN_FRIENDS } from '../../src/sim/follow-model.ts';
import { Permutation } from '../../src/sim/hash.ts';

describe('SimGraph', () => {
  const graph = new SimGraph({ users: 50_000, seed: 3 });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = new SimGraph({ users: 50_000, seed: 3 });
    const other = new SimGraph({ users: 50_000, seed: 4 });
    for (const i of [0, 17, 25_000, 49_999]) expect(again.user(i)).toEqual(graph.user(i));
    expect([0, 1, 2, 3].map((i) => other.screenName(i))).not.toEqual([0, 1, 2, 3].map((i) => graph.screenName(i)));
  });

  it('spreads IDs like Twitter: two-digit oldest, strictly increasing, many above 2^53, newest ~1.24e18', () => {
    expect(graph.user(0).id.length).toBe(2);
    let prev = -1n;
    let above = 0;
    for (let i = 0; i < graph.size; i++) {
      const id = graph.idOf(i);
      expect(id > prev).toBe(true);
      prev = id;
      if (id > 2n ** 53n) above++;
    }
    expect(above / graph.size).toBeGreaterThan(0.3);
    expect(prev).toBeGreaterThan(1_200_000_000_000_000_000n);
    expect(prev).toBeLessThan(1_250_000_000_000_000_000n);
  });

  it('finds users back by ID and, case-insensitively, by screen name', () => {
    for (const i of [0, 1, 999, 31_337, 49_999]) {
      const u = graph.user(i);
      expect(u.screenName).toMatch(/^[A-Za-z0-9_]{1,15}$/);
      expect(graph.indexOfId(u.id)).toBe(i);
      expect(graph.indexOfName(u.screenName.toUpperCase())).toBe(i);
    }
    expect(graph.indexOfId('13')).toBe(1);
    expect(graph.indexOfId('11')).toBeUndefined();
    expect(graph.indexOfName('nobody_here')).toBeUndefined();
  });

  it('gives every user a unique screen name', () => {
    const names = new Set<string>();
    for (let i = 0; i < graph.size; i++) names.add(graph.screenName(i).toLowerCase());
    expect(names.size).toBe(graph.size);
  });

  it('has the reference age skew and heavy tail', () => {
    const sums = new Array<number>(10).fill(0);
    let over2000 = 0;
    let zero = 0;
    for (let i = 0; i < graph.size; i++) {
      const c = graph.followingCount(i);
      sums[Math.floor((i * 10) / graph.size)]! += Math.min(c, 2000);
      if (c > 2000) over2000++;
      if (c === 0) zero++;
    }
    const means = sums.map((s) => s / (graph.size / 10));
    // Raw (visible + hidden) counts run ~3.5% above the reference's visible means.
    means.forEach((m, d) => expect(m / REFERENCE_MEAN_FRIENDS[d]!).toBeGreaterThan(0.93));
    means.forEach((m, d) => expect(m / REFERENCE_MEAN_FRIENDS[d]!).toBeLessThan(1.12));
    expect(over2000 / graph.size).toBeGreaterThan(0.02);
    expect(over2000 / graph.size).toBeLessThan(0.1);
    expect(zero).toBeGreaterThan(0);
  });

  it('has about 2% protected, 1% suspended, 0.5% deleted accounts', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < graph.size; i++) counts[graph.status(i)] = (counts[graph.status(i)] ?? 0) + 1;
    expect(counts.protected! / graph.size).toBeCloseTo(0.02, 2);
    expect(counts.suspended! / graph.size).toBeCloseTo(0.01, 2);
    expect(counts.not_found! / graph.size).toBeCloseTo(0.005, 2);
  });

  it('lists distinct, listed accounts other than the user, and pages through them exactly', () => {
    for (const i of [5, 77, 12_345]) {
      const all = graph.allFollows(i);
      expect(new Set(all).size).toBe(all.length);
      expect(all).not.toContain(i);
      expect(all.every((t) => graph.isListed(t))).toBe(true);
      const paged: number[] = [];
      let from: number | undefined = 0;
      while (from !== undefined) {
        const page = graph.followsPage(i, from, 20);
        expect(page.targets.length === 20 || page.next === undefined).toBe(true);
        paged.push(...page.targets);
        from = page.next;
      }
      expect(paged).toEqual(all);
    }
  });

  it('starts instantly at 3.6M users without materialising the graph', () => {
    const before = process.memoryUsage().heapUsed;
    const big = new SimGraph({ users: 3_600_000, seed: 1 });
    const last = big.user(3_599_999);
    expect(big.indexOfId(last.id)).toBe(3_599_999);
    expect(big.indexOfName(last.screenName)).toBe(3_599_999);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(5 * 1024 * 1024);
  });
});

describe('Permutation', () => {
  it('is a bijection on [0, n) with a working inverse', () => {
    for (const n of [1, 2, 7, 1000, 4097]) {
      const p = new Permutation(n, 99);
      const seen = new Set<number>();
      for (let x = 0; x < n; x++) {
        const y = p.forward(x);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThan(n);
        expect(p.inverse(y)).toBe(x);
        seen.add(y);
      }
      expect(seen.size).toBe(n);
    }
  });
});
