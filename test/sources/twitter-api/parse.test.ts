import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimGraph } from '../../../src/sim/graph.ts';
import { twitterApi } from '../../../src/sim/protocols/twitter-api.ts';
import { parseFollowingAnswer } from '../../../src/sources/twitter-api/parse.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/twitter-api/${name}`, import.meta.url), 'utf8');
/** The user a fixture's answer is about: its problem's resource_id, or the API reference's example user. */
function userOf(body: string): string {
  try {
    return (JSON.parse(body) as { errors?: { resource_id?: string }[] }).errors?.[0]?.resource_id ?? '2244994945';
  } catch {
    return '2244994945';
  }
}
const parse = (status: number, body: string, userId = userOf(body)) => parseFollowingAnswer(status, body, userId);

describe('X API v2 following answers (documented examples)', () => {
  it('reads a page: IDs as strings, usernames, the next token', () => {
    const answer = parse(200, fixture('following-page.json'));
    expect(answer).toMatchObject({ kind: 'page', nextToken: 'DFEDBNRFT3MHCZZZ' });
    if (answer.kind !== 'page') throw new Error('not a page');
    expect(answer.accounts).toHaveLength(10);
    expect(answer.accounts[0]).toEqual({ id: '6253282', screenName: 'TwitterAPI' });
    expect(answer.accounts[9]).toEqual({ id: '1526228120', screenName: 'TwitterData' });
  });

  it('reads the last page (a previous token, no next) and keeps every digit of IDs above 2^53', () => {
    expect(parse(200, fixture('following-last-page.json'))).toEqual({
      kind: 'page',
      accounts: [
        { id: '1242523027058769920', screenName: 'snowflake_era' },
        { id: '12', screenName: 'jack' },
      ],
      nextToken: undefined,
    });
  });

  it('reads an empty list as an empty page, not as a problem', () => {
    expect(parse(200, fixture('following-empty.json'))).toEqual({ kind: 'page', accounts: [], nextToken: undefined });
  });

  it.each([
    ['error-protected.json', 200, 'protected', 'account is protected (Sorry, you are not authorized to see the user with id: [1500850517966311430].)'],
    ['error-not-found.json', 200, 'not_found', 'account does not exist (Could not find user with id: [1122334455667788].)'],
    ['error-not-found-x-domain.json', 200, 'not_found', 'account does not exist (Could not find user with id: [1003].)'],
    ['error-suspended.json', 200, 'suspended', 'account suspended (User has been suspended: [2881117795].)'],
    ['unauthorized-401.json', 401, 'unauthorized', 'bearer token refused (401 Unauthorized)'],
    ['too-many-requests-429.json', 429, 'rate_limited', 'rate limited (429)'],
    ['usage-capped-429.json', 429, 'unauthorized', 'usage cap reached (usage-capped: Usage cap exceeded: Monthly product cap)'],
    ['client-forbidden-403.json', 403, 'unauthorized', expect.stringContaining('client refused (403 client-forbidden: When authenticating requests')],
    ['invalid-request-400.json', 400, 'fatal', 'HTTP 400: The `pagination_token` query parameter value [not-a-token] is not valid'],
    ['service-unavailable-503.json', 503, 'transient', 'server error 503'],
  ])('maps %s (HTTP %i) to %s', (file, status, error, message) => {
    expect(parse(status, fixture(file))).toEqual({ kind: 'error', error, message });
  });

  it('never reads an unexpected body as an empty list', () => {
    expect(parse(200, '{"data": [{"id": 6253282, "username": "TwitterAPI"}]}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parse(200, '{"meta": {}}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parse(200, '{"data": [{"id": "1", "na')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parse(200, '[]')).toMatchObject({ kind: 'error', error: 'invalid_response' });
  });
});

describe('answers X documents that the first parser misread (issue 13)', () => {
  const user = '2244994945';
  const item = (id: string, username: string) => ({ id, name: username, username });

  it('follows next_token on a page with result_count 0 (it ended the list: 400 of 900 stored as ok)', () => {
    const empty = JSON.stringify({ meta: { result_count: 0, next_token: 'DFEDBNRFT3MHCZZZ' } });
    expect(parse(200, empty, user)).toEqual({ kind: 'page', accounts: [], nextToken: 'DFEDBNRFT3MHCZZZ' });
    const short = JSON.stringify({ data: [item('12', 'jack')], meta: { result_count: 1, next_token: 'QQQQQQQQQQQQQQQQ', previous_token: 'PPPPPPPPPPPPPPPP' } });
    expect(parse(200, short, user)).toEqual({ kind: 'page', accounts: [{ id: '12', screenName: 'jack' }], nextToken: 'QQQQQQQQQQQQQQQQ' });
  });

  it("takes a problem for the user's status only when it is about that user", () => {
    const otherUser = {
      value: '99',
      detail: 'Could not find user with id: [99].',
      title: 'Not Found Error',
      resource_type: 'user',
      parameter: 'id',
      resource_id: '99',
      type: 'https://api.twitter.com/2/problems/resource-not-found',
    };
    const pinned = {
      value: '7',
      detail: 'Could not find tweet with pinned_tweet_id: [7].',
      title: 'Not Found Error',
      resource_type: 'tweet',
      parameter: 'pinned_tweet_id',
      resource_id: '7',
      section: 'includes',
      type: 'https://api.x.com/2/problems/resource-not-found',
    };
    // Beside data: the page is read, whatever the problems say.
    expect(parse(200, JSON.stringify({ data: [item('12', 'jack')], errors: [pinned, otherUser], meta: { result_count: 1 } }), user)).toEqual({
      kind: 'page',
      accounts: [{ id: '12', screenName: 'jack' }],
      nextToken: undefined,
    });
    // Without data: an empty page that goes on, not "not found".
    expect(parse(200, JSON.stringify({ errors: [otherUser, pinned], meta: { result_count: 0, next_token: 'DFEDBNRFT3MHCZZZ' } }), user)).toEqual({
      kind: 'page',
      accounts: [],
      nextToken: 'DFEDBNRFT3MHCZZZ',
    });
    // About the user, by resource_id or by the id parameter alone.
    const mine = { ...otherUser, value: user, resource_id: user, detail: `Could not find user with id: [${user}].` };
    expect(parse(200, JSON.stringify({ errors: [pinned, mine] }), user)).toMatchObject({ kind: 'error', error: 'not_found' });
    const { resource_id: _, ...byParameter } = mine;
    expect(parse(200, JSON.stringify({ errors: [byParameter] }), user)).toMatchObject({ kind: 'error', error: 'not_found' });
    // Only problems about others, no data: the user fails with X's words, never "not found".
    expect(parse(200, JSON.stringify({ errors: [otherUser] }), user)).toMatchObject({ kind: 'error', error: 'fatal', message: expect.stringContaining('other resources') });
  });

  it('classifies a top-level problem by its type: a 404 resource-not-found is not_found, a 403 not-authorized-for-resource is protected', () => {
    const notFound = {
      title: 'Not Found Error',
      detail: `Could not find user with id: [${user}].`,
      type: 'https://api.x.com/2/problems/resource-not-found',
      resource_type: 'user',
      parameter: 'id',
      resource_id: user,
      value: user,
      status: 404,
    };
    expect(parse(404, JSON.stringify(notFound), user)).toEqual({ kind: 'error', error: 'not_found', message: `account does not exist (Could not find user with id: [${user}].)` });
    const notAuthorized = {
      title: 'Authorization Error',
      detail: `Sorry, you are not authorized to see the user with id: [${user}].`,
      type: 'https://api.x.com/2/problems/not-authorized-for-resource',
      resource_type: 'user',
      parameter: 'id',
      resource_id: user,
      value: user,
      section: 'data',
      status: 403,
    };
    expect(parse(403, JSON.stringify(notAuthorized), user)).toMatchObject({ kind: 'error', error: 'protected' });
    // A 403 that says no more than Forbidden refuses the client, as before.
    expect(parse(403, JSON.stringify({ title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' }), user)).toMatchObject({ kind: 'error', error: 'unauthorized' });
  });

  it('reads the 429 of X\'s rate-limit page ({"errors":[{"code":88}]}) as rate limited', () => {
    expect(parse(429, '{"errors":[{"code":88,"message":"Rate limit exceeded"}]}', user)).toEqual({ kind: 'error', error: 'rate_limited', message: 'rate limited (429)' });
  });
});

describe('the sim answers in the documented shapes', () => {
  const graph = new SimGraph({ users: 2000, seed: 5 });
  const find = (status: string) => {
    for (let i = 0; i < graph.size; i++) if (graph.status(i) === status && (status !== 'ok' || graph.followingCount(i) > 30)) return graph.idOf(i).toString();
    throw new Error(`no ${status} user`);
  };
  const ask = (id: string, query = 'max_results=20&user.fields=username', authorization = 'Bearer t') =>
    twitterApi.handle({ pathname: `/2/users/${id}/following`, query: new URLSearchParams(query), headers: { authorization }, remoteAddress: '127.0.0.1' }, graph);

  it('for every status, as the fixtures are read', () => {
    const page = ask(find('ok'));
    const parsed = parse(page.status, page.body, find('ok'));
    expect(parsed).toMatchObject({ kind: 'page', nextToken: expect.stringMatching(/^[A-Z2-7]{13}$/) });
    for (const [status, kind] of [
      ['protected', 'protected'],
      ['suspended', 'suspended'],
      ['not_found', 'not_found'],
    ] as const) {
      const r = ask(find(status));
      expect(r.status).toBe(200);
      expect(parse(r.status, r.body)).toMatchObject({ kind: 'error', error: kind });
      expect(Object.keys(JSON.parse(r.body).errors[0]).sort()).toEqual(Object.keys(JSON.parse(fixture(`error-${status.replace('_', '-')}.json`)).errors[0]).sort());
    }
    const refused = ask(find('ok'), undefined, 'Bearer revoked-1');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual(JSON.parse(fixture('unauthorized-401.json')));
    expect(JSON.parse(twitterApi.rateLimited({ limit: 15, remaining: 0, resetSeconds: 2, resetAtMs: 2000, windowSeconds: 900 }).body)).toEqual(JSON.parse(fixture('too-many-requests-429.json')));
    const code88 = twitterApi.rateLimited({ limit: 15, remaining: 0, resetSeconds: 1, resetAtMs: 1000, windowSeconds: 900 });
    expect(parse(code88.status, code88.body)).toEqual({ kind: 'error', error: 'rate_limited', message: 'rate limited (429)' });
  });

  it('follows its own next token to the end of the list, and refuses a made-up one', () => {
    const id = find('ok');
    let token: string | undefined;
    let total = 0;
    do {
      const r = ask(id, `max_results=20${token ? `&pagination_token=${token}` : ''}`);
      const parsed = parse(r.status, r.body, id);
      if (parsed.kind !== 'page') throw new Error(r.body);
      total += parsed.accounts.length;
      token = parsed.nextToken;
    } while (token);
    expect(total).toBe(graph.allFollows(graph.indexOfId(id)!).length);
    expect(ask(id, 'pagination_token=AAAAAAAAAAAAA').status).toBe(400);
  });
});
