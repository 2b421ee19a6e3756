import { SourceError } from '../../src/core/errors.ts';
import type { FetchOptions, FollowPage, Source, UserRef } from '../../src/sources/source.ts';

/** What the fake answers to one request: a page, or a SourceError thrown. */
export type FakeAnswer = FollowPage | SourceError;

/**
 * A source whose answers a test scripts, per user and cursor: each call takes the next answer of the
 * list for `${userId}@${cursor ?? ''}` (the last one repeats). Records every request it got.
 */
export class FakeSource implements Source {
  readonly name = 'twitter-api';
  readonly pageSize = 2;
  readonly credentials: number;
  readonly requests: { user: string; cursor: string | undefined; credential: number }[] = [];
  private readonly script: Map<string, FakeAnswer[]>;

  constructor(script: Record<string, FakeAnswer[]>, credentials = 1) {
    this.script = new Map(Object.entries(script));
    this.credentials = credentials;
  }

  async fetchPage(user: UserRef, cursor: string | undefined, options: FetchOptions = {}): Promise<FollowPage> {
    options.signal?.throwIfAborted();
    this.requests.push({ user: user.id, cursor, credential: options.credential ?? 0 });
    const answers = this.script.get(`${user.id}@${cursor ?? ''}`);
    if (!answers || answers.length === 0) throw new SourceError('not_found', `no script for ${user.id}@${cursor ?? ''}`);
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (answer instanceof SourceError) throw answer;
    return answer;
  }

  async close(): Promise<void> {}
}

/** A page of accounts named `names`, followed by `next`. */
export function page(names: string[], next?: string, rate?: FollowPage['rate']): FollowPage {
  return { accounts: names.map((screenName, i) => ({ screenName, id: String(1000 + i) })), nextCursor: next, rate };
}
