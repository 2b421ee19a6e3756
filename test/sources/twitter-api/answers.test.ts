import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFollowingAnswer, type FollowingAnswer } from '../../../src/sources/twitter-api/parse.ts';
import { xAnswerProblems } from '../../support/official-schemas.ts';

/** Generated answers per property (the issue asks for at least 10,000). */
const RUNS = 10_000;
const USER = '1500850517966311430';

const id = fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }).map(String);
const otherId = id.filter((i) => i !== USER);
const username = fc.stringMatching(/^[A-Za-z0-9_]{1,15}$/);
const token = fc.stringMatching(/^[A-Z2-7]{16}$/);
const text = fc.string({ maxLength: 20 });
const domain = fc.constantFrom('https://api.twitter.com/2/problems', 'https://api.x.com/2/problems');

/**
 * A followed account: the three default fields, and any of the others X's document lists, in the
 * words of the document's version whose problem types the answer uses (2.167 renamed tweets posts).
 */
const user = (d: string) => {
  const post = d.includes('api.x.com') ? 'post' : 'tweet';
  return fc.record(
    {
      id,
      name: text,
      username,
      created_at: fc.date({ min: new Date('2006-03-21'), max: new Date('2026-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      description: text,
      protected: fc.boolean(),
      verified: fc.boolean(),
      profile_image_url: fc.constant('https://pbs.twimg.com/profile_images/1/a_normal.jpg'),
      public_metrics: fc.record({ followers_count: fc.nat(), following_count: fc.nat(), [`${post}_count`]: fc.nat(), listed_count: fc.nat() }),
      [`pinned_${post}_id`]: id,
    },
    { requiredKeys: ['id', 'name', 'username'] },
  ) as fc.Arbitrary<{ id: string; username: string }>;
};

/** A problem about another resource: a pinned post in `includes`, or another user (one answer's problems share a domain). */
const otherProblem = (d: string) =>
  fc.oneof(
    fc.record({
      value: id,
      detail: text,
      title: fc.constant('Not Found Error'),
      resource_type: fc.constant('tweet'),
      parameter: fc.constant('pinned_tweet_id'),
      resource_id: id,
      section: fc.constant('includes'),
      type: fc.constant(`${d}/resource-not-found`),
    }),
    fc.record({
      value: otherId,
      detail: text,
      title: fc.constant('Not Found Error'),
      resource_type: fc.constant('user'),
      parameter: fc.constant('id'),
      resource_id: otherId,
      type: fc.constant(`${d}/resource-not-found`),
    }),
  );

type Case = { status: number; contentType: string; body: unknown; expected: FollowingAnswer | { kind: 'error'; error: string } };

const page: fc.Arbitrary<Case> = domain
  .chain((d) =>
    fc.record({
      data: fc.array(user(d), { maxLength: 5 }),
      next: fc.option(token, { nil: undefined }),
      previous: fc.option(token, { nil: undefined }),
      errors: fc.array(otherProblem(d), { maxLength: 2 }),
      pinned: fc.boolean(),
    }),
  )
  .map(({ data, next, previous, errors, pinned }) => {
    const meta = { result_count: data.length, ...(next ? { next_token: next } : {}), ...(previous ? { previous_token: previous } : {}) };
    const post = errors.some((e) => e.type.includes('api.x.com')) ? 'posts' : 'tweets';
    const includes = pinned && data.length > 0 && errors.length > 0 ? { includes: { [post]: [{ id: '7', text: 'pinned', edit_history_tweet_ids: ['7'] }] } } : {};
    const body = { ...(data.length > 0 ? { data } : {}), ...includes, ...(errors.length > 0 ? { errors } : {}), meta };
    return { status: 200, contentType: 'application/json', body, expected: { kind: 'page', accounts: data.map((u) => ({ id: u.id, screenName: u.username })), nextToken: next } };
  });

const STATUS_OF = { 'not-authorized-for-resource': 'protected', 'resource-not-found': 'not_found' } as const;

/** A problem about the requested user: in errors[] (by resource_id, or the id parameter alone), or the whole answer. */
const userProblem: fc.Arbitrary<Case> = domain
  .chain((d) =>
    fc.record({
      type: fc.constantFrom('not-authorized-for-resource', 'resource-not-found'),
      domain: fc.constant(d),
      byParameterOnly: fc.boolean(),
      status: fc.boolean(),
      others: fc.array(otherProblem(d), { maxLength: 2 }),
      topLevel: fc.boolean(),
    }),
  )
  .map(({ type, domain, byParameterOnly, status, others, topLevel }) => {
    const title = type === 'resource-not-found' ? 'Not Found Error' : 'Authorization Error';
    const httpStatus = type === 'resource-not-found' ? 404 : 403;
    const problem = {
      value: USER,
      detail: `About user [${USER}].`,
      title,
      resource_type: 'user',
      parameter: 'id',
      // Only X's current document leaves resource_id out (2.166 requires it).
      ...(byParameterOnly && !topLevel && domain.includes('api.x.com') ? {} : { resource_id: USER }),
      ...(type === 'not-authorized-for-resource' ? { section: 'data' } : {}),
      ...(status ? { status: topLevel ? httpStatus : 200 } : {}),
      type: `${domain}/${type}`,
    };
    const expected = { kind: 'error', error: STATUS_OF[type] } as const;
    if (topLevel) return { status: httpStatus, contentType: 'application/problem+json', body: problem, expected };
    return { status: 200, contentType: 'application/json', body: { errors: [...others, problem] }, expected };
  });

/** JSON as servers write it: keys in any order, compact or indented. */
function write(value: unknown, seed: number): string {
  const reorder = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => reorder(x, depth + 1));
    if (typeof v !== 'object' || v === null) return v;
    const entries = Object.entries(v);
    if ((seed >> depth) & 1) entries.reverse();
    return Object.fromEntries(entries.map(([k, x]) => [k, reorder(x, depth + 1)]));
  };
  return JSON.stringify(reorder(value, 0), null, seed % 3 === 0 ? 2 : undefined);
}

describe("twitter-api reads every answer X's OpenAPI document allows as it means", () => {
  it(`on ${RUNS} generated answers (pages with any user fields, includes, problems about other resources, empty pages with next_token; problems about the user in errors[] or as the answer)`, () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: page }, { weight: 1, arbitrary: userProblem }), fc.nat(), (c, seed) => {
        const body = write(c.body, seed);
        // The generator stays inside X's own definition of the operation.
        expect(xAnswerProblems(c.status, c.contentType, body)).toEqual([]);
        expect(parseFollowingAnswer(c.status, body, USER)).toMatchObject(c.expected);
      }),
      { numRuns: RUNS },
    );
  });
});
