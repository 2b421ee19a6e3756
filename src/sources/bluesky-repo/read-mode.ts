/**
 * How bluesky-repo reads a repository's follows (BLUESKY_REPO_READ):
 * - `records`: pages of `com.atproto.repo.listRecords` (100 records each);
 * - `car`: the whole repository at once (`com.atproto.sync.getRepo`, a CAR file);
 * - `auto`: a first page of records, and the rest from the CAR file when more than two further pages
 *   are wanted (a CAR file past its bound falls back to pages).
 */
export type RepoRead = 'records' | 'car' | 'auto';

export const REPO_READS: readonly RepoRead[] = ['records', 'car', 'auto'];
