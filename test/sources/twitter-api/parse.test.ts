import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimGraph } from '../../../src/sim/graph.ts';
import { twitterApi } from '../../../src/sim/protocols/twitter-api.ts';
import { parseFollowingAnswer } from '../../../src/sources/twitter-api/parse.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/twitter-api/${name}`, import.meta.url), 'utf8');

describe('X API v2 following answers (documented examples)', () => {
  it('reads a page: IDs as strings, usernames, the next token', () => {
    const answer = parseFollowingAnswer(200, fixture('following-page.json'));
    expect(answer).toMatchObject({ kind: 'page', nextToken: 'DFEDBNRFT3MHCZZZ' });
    if (answer.kind !== 'page') throw new Error('not a page');
    expect(answer.accounts).toHaveLength(10);
    expect(answer.accounts[0]).toEqual({ id: '6253282', screenName: 'TwitterAPI' });
    expect(answer.accounts[9]).toEqual({ id: '1526228120', screenName: 'TwitterData' });
  });

  it('reads the last page (a previous token, no next) and keeps every digit of IDs above 2^53', () => {
    expect(parseFollowingAnswer(200, fixture('following-last-page.json'))).toEqual({
      kind: 'page',
      accounts: [
        { id: '1242523027058769920', screenName: 'snowflake_era' },
        { id: '12', screenName: 'jack' },
      ],
      nextToken: undefined,
    });
  });

  it('reads an empty list as an empty page, not as a problem', () => {
    expect(parseFollowingAnswer(200, fixture('following-empty.json'))).toEqual({ kind: 'page', accounts: [], nextToken: undefined });
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
    expect(parseFollowingAnswer(status, fixture(file))).toEqual({ kind: 'error', error, message });
  });

  it('never reads an unexpected body as an empty list', () => {
    expect(parseFollowingAnswer(200, '{"data": [{"id": 6253282, "username": "TwitterAPI"}]}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseFollowingAnswer(200, '{"meta": {}}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseFollowingAnswer(200, '{"data": [{"id": "1", "na')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseFollowingAnswer(200, '[]')).toMatchObject({ kind: 'error', error: 'invalid_response' });
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
    const parsed = parseFollowingAnswer(page.status, page.body);
    expect(parsed).toMatchObject({ kind: 'page', nextToken: expect.stringMatching(/^[A-Z2-7]{13}$/) });
    for (const [status, kind] of [['protected', 'protected'], ['suspended', 'suspended'], ['not_found', 'not_found']] as const) {
      const r = ask(find(status));
      expect(r.status).toBe(200);
      expect(parseFollowingAnswer(r.status, r.body)).toMatchObject({ kind: 'error', error: kind });
      expect(Object.keys(JSON.parse(r.body).errors[0]).sort()).toEqual(Object.keys(JSON.parse(fixture(`error-${status.replace('_', '-')}.json`)).errors[0]).sort());
    }
    const refused = ask(find('ok'), undefined, 'Bearer revoked-1');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual(JSON.parse(fixture('unauthorized-401.json')));
    expect(JSON.parse(twitterApi.rateLimited({ limit: 15, remaining: 0, resetSeconds: 1, resetAtMs: 1000, windowSeconds: 900 }).body)).toEqual(JSON.parse(fixture('too-many-requests-429.json')));
  });

  it('follows its own next token to the end of the list, and refuses a made-up one', () => {
    const id = find('ok');
    let token: string | undefined;
    let total = 0;
    do {
      const r = ask(id, `max_results=20${token ? `&pagination_token=${token}` : ''}`);
      const parsed = parseFollowingAnswer(r.status, r.body);
      if (parsed.kind !== 'page') throw new Error(r.body);
      total += parsed.accounts.length;
      token = parsed.nextToken;
    } while (token);
    expect(total).toBe(graph.allFollows(graph.indexOfId(id)!).length);
    expect(ask(id, 'pagination_token=AAAAAAAAAAAAA').status).toBe(400);
  });
});
