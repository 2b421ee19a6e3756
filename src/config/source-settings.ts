import type { BudgetOptions } from '../collector/budget.ts';
import { ConfigError } from '../core/errors.ts';
import { defaultSourceUrl, SOURCE_BUDGETS, type SourceOptions } from '../sources/registry.ts';
import type { SourceName } from '../sources/source.ts';
import type { Settings } from './load.ts';
import type { SettingKey } from './settings.ts';

/** The settings that choose and shape the source and its budget. */
export const SOURCE_SETTINGS = [
  'source',
  'sourceUrl',
  'twitterBearerToken',
  'twitterBearerTokens',
  'maxThreads',
  'requestTimeout',
  'maxResponseTime',
  'allowPrivateAddresses',
  'blueskyRepoRead',
  'rateLimit',
  'rateWindow',
] as const satisfies readonly SettingKey[];

export interface SourceSetup {
  source: SourceOptions;
  /** One budget per credential: RATE_LIMIT/RATE_WINDOW, else the source's documented budget. */
  budget: BudgetOptions;
}

/**
 * Turns the source settings into the source's options and its budget, or throws a ConfigError
 * before any work: a source that needs credentials and has none stops the worker here, not at its
 * first request. Token values never appear in a message.
 */
export function sourceSetup(settings: Settings<(typeof SOURCE_SETTINGS)[number]>): SourceSetup {
  const name = requiredSource(settings.source);
  const baseUrl = settings.sourceUrl ?? defaultSourceUrl(name);
  if (baseUrl === undefined) {
    throw new ConfigError('SOURCE_URL', `SOURCE=${name} needs SOURCE_URL: the legacy HTML site is gone and only the sim serves its pages (friendfleet sim; npm start runs a trial against one)`);
  }
  let tokens: string[] = [];
  if (name === 'twitter-api') {
    if (settings.twitterBearerToken !== undefined && settings.twitterBearerTokens !== undefined) {
      throw new ConfigError('TWITTER_BEARER_TOKENS', 'TWITTER_BEARER_TOKEN and TWITTER_BEARER_TOKENS are both set: set one (TWITTER_BEARER_TOKENS=a,b,c for several tokens)');
    }
    tokens = settings.twitterBearerTokens ?? (settings.twitterBearerToken === undefined ? [] : [settings.twitterBearerToken]);
    if (tokens.length === 0) {
      throw new ConfigError('TWITTER_BEARER_TOKEN', 'SOURCE=twitter-api needs a bearer token: set TWITTER_BEARER_TOKEN, or TWITTER_BEARER_TOKENS=a,b,c for several (each gets its own budget)');
    }
  }
  if (settings.maxResponseTime! < settings.requestTimeout!) {
    throw new ConfigError('MAX_RESPONSE_TIME', 'MAX_RESPONSE_TIME is shorter than REQUEST_TIMEOUT: a response must be allowed at least the time its headers may take');
  }
  const documented = SOURCE_BUDGETS[name];
  return {
    source: {
      name,
      baseUrl,
      tokens,
      connections: settings.maxThreads!,
      timeoutMs: settings.requestTimeout!,
      maxResponseMs: settings.maxResponseTime!,
      allowPrivateAddresses: settings.allowPrivateAddresses!,
      repoRead: settings.blueskyRepoRead!,
    },
    budget: { limit: settings.rateLimit, assumedLimit: documented.limit, windowMs: settings.rateWindow ?? documented.windowMs },
  };
}

/**
 * SOURCE, which has no default: a users table is of one network, and which to collect is the user's
 * choice. Missing, it stops the command before any work with the sources to choose from.
 */
export function requiredSource(source: SourceName | undefined): SourceName {
  if (source !== undefined) return source;
  throw new ConfigError(
    'SOURCE',
    'SOURCE (flag --source) is required: bluesky (no account needed), bluesky-repo (no account needed), twitter-api (a paid X API bearer token), or twitter-html (the legacy HTML pages, which only the sim serves)',
  );
}
