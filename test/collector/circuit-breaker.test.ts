/** Issue 15 §2: a run in which every request fails on the same connection error stops instead of failing every user. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/collector/circuit-breaker.ts';
import type { UserResult } from '../../src/collector/result.ts';
import { CircuitOpenError } from '../../src/core/errors.ts';

const at = new Date(0);
const ok = (id: string): UserResult => ({ user: { id }, status: 'ok', accounts: [], truncated: false, pages: 1, error: undefined, startAt: at, endAt: at });
const down = (id: string, connection = 'ECONNREFUSED'): UserResult => ({ ...ok(id), status: 'failed', error: `FF_SOURCE_TRANSIENT: request failed: ${connection}`, connection });
const failed = (id: string): UserResult => ({ ...ok(id), status: 'failed', error: 'FF_SOURCE_FATAL: HTTP 400' });
const ids = (results: UserResult[]) => results.map((r) => r.user.id);

describe('CircuitBreaker', () => {
  it('opens when the first users all fail on the same connection error, and none of them is stored', () => {
    const breaker = new CircuitBreaker({ firstUsers: 3, usersInARow: 100 });
    expect(ids(breaker.pass(down('1', 'ENOTFOUND')))).toEqual([]);
    expect(ids(breaker.pass(down('2', 'ENOTFOUND')))).toEqual([]);
    expect(breaker.open).toBeUndefined();
    expect(ids(breaker.pass(down('3', 'ENOTFOUND')))).toEqual([]);
    expect(breaker.open).toBeInstanceOf(CircuitOpenError);
    expect(breaker.open).toMatchObject({ code: 'FF_CIRCUIT_OPEN', connection: 'ENOTFOUND', users: 3 });
    expect(breaker.open!.message).toMatch(/^the first 3 users failed on ENOTFOUND .*SOURCE_URL/);
    // Users finishing after it opened are not stored either (the next run redoes them).
    expect(ids(breaker.pass(ok('4')))).toEqual([]);
    expect(breaker.drain()).toEqual([]);
  });

  it('releases a streak, in order, as failed rows once a user reaches the source', () => {
    const breaker = new CircuitBreaker({ firstUsers: 3, usersInARow: 100 });
    breaker.pass(down('1'));
    breaker.pass(down('2'));
    expect(ids(breaker.pass(ok('3')))).toEqual(['1', '2', '3']);
    // Past the first users, only a long streak opens it.
    for (const id of ['4', '5', '6', '7']) expect(breaker.pass(down(id))).toEqual([]);
    expect(breaker.open).toBeUndefined();
    expect(ids(breaker.drain())).toEqual(['4', '5', '6', '7']);
  });

  it('opens on a long streak mid-run, counting only users in a row on one error', () => {
    const breaker = new CircuitBreaker({ firstUsers: 2, usersInARow: 4 });
    expect(ids(breaker.pass(ok('1')))).toEqual(['1']);
    breaker.pass(down('2', 'ECONNREFUSED'));
    breaker.pass(down('3', 'ECONNREFUSED'));
    // Another error ends the streak: its users are stored, and a new streak begins.
    expect(ids(breaker.pass(down('4', 'ENOTFOUND')))).toEqual(['2', '3']);
    // A failure that is not a connection error (the source answered) ends it too.
    expect(ids(breaker.pass(failed('5')))).toEqual(['4', '5']);
    for (const id of ['6', '7', '8']) breaker.pass(down(id, 'CERT_HAS_EXPIRED'));
    expect(breaker.open).toBeUndefined();
    breaker.pass(down('9', 'CERT_HAS_EXPIRED'));
    expect(breaker.open).toMatchObject({ connection: 'CERT_HAS_EXPIRED', users: 4 });
    expect(breaker.open!.message).toMatch(/^4 users in a row failed on CERT_HAS_EXPIRED/);
  });

  it('the same error at another host is another streak: one PDS down of many does not stop the run', () => {
    const breaker = new CircuitBreaker({ firstUsers: 2, usersInARow: 3 });
    breaker.pass(ok('1'));
    for (const id of ['2', '3', '4', '5']) breaker.pass(down(id, `ECONNREFUSED at https://pds-${Number(id) % 2 ? 'a' : 'b'}.example`));
    expect(breaker.open).toBeUndefined();
  });

  it('0 turns each check off', () => {
    const breaker = new CircuitBreaker({ firstUsers: 0, usersInARow: 0 });
    for (let i = 0; i < 500; i++) breaker.pass(down(String(i)));
    expect(breaker.open).toBeUndefined();
    expect(breaker.drain()).toHaveLength(500);
  });
});
