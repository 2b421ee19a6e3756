import { describe, expect, it } from 'vitest';
import { FollowList } from '../../src/collector/follow-list.ts';

const page = (from: number, n: number, ids = false) =>
  Array.from({ length: n }, (_, i) => (ids ? { id: String(1e17 + from + i), screenName: `user_${from + i}` } : { screenName: `user_${from + i}` }));

describe('FollowList', () => {
  it('gives back every account in order, with IDs where the source gave them', () => {
    const list = new FollowList();
    list.add(page(0, 20));
    list.add(page(20, 20, true));
    list.add(page(40, 7));
    expect(list.length).toBe(47);
    expect(list.toArray()).toEqual([...page(0, 20), ...page(20, 20, true), ...page(40, 7)]);
  });

  it('takes at most `limit` accounts of a page', () => {
    const list = new FollowList();
    list.add(page(0, 20), 5);
    list.add(page(20, 20), 0);
    expect(list.toArray()).toEqual(page(0, 5));
  });

  it('keeps a page whose accounts only partly have IDs, and names holding the separator, as they came', () => {
    const mixed = [{ id: '7', screenName: 'a' }, { screenName: 'b' }];
    const odd = [{ screenName: 'x\u0001y' }, { id: '1\u00012', screenName: 'z' }];
    const list = new FollowList();
    list.add(mixed);
    list.add(odd);
    list.add([]);
    expect(list.length).toBe(4);
    expect(list.toArray()).toEqual([...mixed, ...odd]);
  });
});
