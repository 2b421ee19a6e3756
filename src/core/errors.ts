import type { RateInfo } from './rate.ts';

/**
 * Every error that crosses a module boundary is one of these classes, each with a stable `code`,
 * so that callers decide by type and code, never by parsing messages (the undici habit).
 */
export abstract class FriendfleetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value (env var or flag) that cannot be used. The CLI prints `message` and exits 2. */
export class ConfigError extends FriendfleetError {
  readonly variable: string;
  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super('FF_CONFIG', message, options);
    this.variable = variable;
  }
}

/**
 * What a source can tell the collector about one page request that did not yield follows.
 * - `protected`, `not_found`, `suspended`: final answers about the user.
 * - `rate_limited`: the source refused for budget reasons; `resetAt` says when to retry, if it said.
 * - `transient`: 5xx, connection reset, timeout, truncated body: retried with backoff.
 * - `invalid_response`: a page the parser does not recognise (markup change or truncation with intact
 *   framing); retried like `transient`, then the user fails with the parser's reason.
 * - `fatal`: a request for this user that can never succeed as made (a user without a required name).
 * - `unauthorized`: the source refuses the client itself (credentials rejected, plan's usage cap
 *   reached): no request can succeed, so the run stops instead of failing every user.
 * - `refused`: the client refused the answer: it broke a bound (response size or time, cursor length,
 *   pages per user) or named an address sources may not reach (docs/security.md). Not retried: the
 *   user fails with the reason, and a later run tries it again (MAX_ATTEMPTS).
 */
export type SourceErrorKind = 'protected' | 'not_found' | 'suspended' | 'rate_limited' | 'transient' | 'invalid_response' | 'fatal' | 'unauthorized' | 'refused';

export class SourceError extends FriendfleetError {
  readonly kind: SourceErrorKind;
  /** Budget information the failed response carried, if any. */
  readonly rate: RateInfo | undefined;
  /** Epoch milliseconds at which a rate-limited request may be retried, when the source said. */
  readonly resetAt: number | undefined;
  readonly httpStatus: number | undefined;
  /**
   * A connection-level failure as `CODE at ORIGIN` (ENOTFOUND, ECONNREFUSED, a TLS certificate error,
   * ...): the request never reached the host. The circuit breaker stops a run on a streak of one.
   */
  readonly connection: string | undefined;
  constructor(
    kind: SourceErrorKind,
    message: string,
    options?: { resetAt?: number | undefined; httpStatus?: number | undefined; rate?: RateInfo | undefined; connection?: string | undefined; cause?: unknown },
  ) {
    super(`FF_SOURCE_${kind.toUpperCase()}`, message, { cause: options?.cause });
    this.kind = kind;
    this.rate = options?.rate;
    this.resetAt = options?.resetAt;
    this.httpStatus = options?.httpStatus;
    this.connection = options?.connection;
  }
}

/**
 * The run stopped because users kept failing on the same connection-level error (the source's host
 * does not resolve, refuses connections, fails TLS): every further user would fail the same way.
 */
export class CircuitOpenError extends FriendfleetError {
  /** The connection failure, `CODE at ORIGIN`, e.g. `ENOTFOUND at https://api.example.org`. */
  readonly connection: string;
  /** Users in the streak that tripped the breaker (none of them got a row). */
  readonly users: number;
  constructor(connection: string, users: number, message: string) {
    super('FF_CIRCUIT_OPEN', message);
    this.connection = connection;
    this.users = users;
  }
}

/** The warehouse could not store or read something; nothing covered by it was acknowledged. */
export class SinkError extends FriendfleetError {
  /** `code`: a subclass's own (a BigQuery query's failure is FF_BIGQUERY_QUERY). */
  constructor(message: string, options?: { cause?: unknown }, code = 'FF_SINK') {
    super(code, message, options);
  }
}

/** A DuckDB file that lacks the warehouse's tables, opened to be read (monitor, export, plan). */
export class NotAWarehouseError extends SinkError {
  /** The warehouse's tables the file does not have. */
  readonly missing: readonly string[];
  constructor(path: string, missing: readonly string[]) {
    super(`${path} is not a friendfleet warehouse: it has no table ${missing.join(', ')}`, undefined, 'FF_NOT_A_WAREHOUSE');
    this.missing = missing;
  }
}

/** The users table (file or warehouse) cannot be read at all. Row-level problems are reported, not thrown. */
export class UsersInputError extends FriendfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FF_USERS_INPUT', message, options);
  }
}

/** The request budget was closed (shutdown): a request still waiting for it will never be sent. */
export class BudgetClosedError extends FriendfleetError {
  constructor() {
    super('FF_BUDGET_CLOSED', 'request budget closed');
  }
}

/**
 * A user was abandoned because the run is shutting down: no row is written, the next run redoes it.
 * Also the reason a run's requests are aborted with.
 */
export class AbandonedError extends FriendfleetError {
  constructor(reason = 'run is shutting down', options?: { cause?: unknown }) {
    super('FF_ABANDONED', reason, options);
  }
}

/** The users staging process failed, or ended before it answered (users/staging-process.ts). */
export class UsersStagingError extends FriendfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FF_USERS_STAGING', message, options);
  }
}

/** The fleet's shared limiter could not be used on a Redis connection (the budget falls back to its local share). */
export class FleetLimiterError extends FriendfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FF_FLEET_LIMITER', message, options);
  }
}

/** A function was called outside its contract: a bug in the caller, not bad input. */
export class UsageError extends FriendfleetError {
  constructor(message: string) {
    super('FF_USAGE', message);
  }
}

/**
 * A server (the sim, a fleet's warehouse host) could not listen where it was told: the port is in use,
 * or not ours to take. The CLI prints one line and exits 2, as for a bad setting.
 */
export class ListenError extends FriendfleetError {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use by another process'
        : code === 'EACCES'
          ? 'the port needs privileges'
          : code === 'EADDRNOTAVAIL'
            ? 'no interface has that address'
            : String((cause as Error | undefined)?.message ?? cause);
    super('FF_LISTEN', `cannot listen on ${host}:${port}: ${why}${code ? ` (${code})` : ''}; choose another port`, { cause });
  }
}

/** Something failed that no other class describes (a non-Error thrown, a helper process that died). */
export class InternalError extends FriendfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FF_INTERNAL', message, options);
  }
}

/**
 * The fleet's warehouse host refused a request (no secret, a writing or second statement, a body too
 * large, input that is not what the route takes): `status` is the HTTP status it answers with.
 */
export class HostRefusal extends FriendfleetError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('FF_HOST_REFUSED', message);
    this.status = status;
  }
}
