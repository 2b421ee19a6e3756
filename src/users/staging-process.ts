import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, FriendfleetError, InternalError, SinkError, UsersInputError, UsersStagingError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import type { BucketLookup } from '../partition/assign.ts';
import type { BucketBounds, IdRange } from '../partition/bucket.ts';
import { emptyReport, type LoadReport } from './report.ts';
import { UserSpool } from './spool.ts';
import type { OpenOptions, UsersLocation } from './staged-table.ts';
import { stagingFile } from './staging-files.ts';

/** What the worker asks of the staging process, one request at a time. */
export type StagingRequest =
  | { op: 'open'; location: UsersLocation; idKind: IdKind; options: OpenOptions }
  | { op: 'count'; range: IdRange | undefined }
  | { op: 'ntile'; partitions: number }
  | { op: 'spool'; range: IdRange | undefined; limit: number | undefined; file: string };

/**
 * An error crossing the process boundary: its class by name (so the worker throws the same kind), its
 * code, and its causes, each in turn.
 */
export interface StagingFailure {
  name: string;
  code?: string | undefined;
  message: string;
  variable?: string | undefined;
  cause?: StagingFailure | undefined;
}

export type StagingReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: StagingFailure };

const CHILD = fileURLToPath(new URL(`./staging-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * The users table of a worker, staged in DuckDB by a child process that ends once the worker has its
 * bucket in a spool file. DuckDB's library (~30 MB resident once loaded, and its threads' memory) then
 * never enters the process that holds thousands of requests in flight: a collecting worker's memory is
 * its requests, not its set-up. The child ignores SIGTERM and SIGINT (Heroku sends them to every
 * process of the dyno): the worker's own shutdown decides, and the child ends when the worker
 * disconnects or dies.
 */
export class StagingProcess implements BucketLookup {
  readonly idKind: IdKind;
  /** What loading found wrong with the table. */
  report: LoadReport = emptyReport();
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  private constructor(idKind: IdKind, abort: AbortSignal | undefined) {
    this.idKind = idKind;
    // No inherited flags: a profiler or memory probe given to the worker is the worker's alone.
    this.child = fork(CHILD, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // A DuckDB query cannot be interrupted from here; killing the child ends it, and the next worker
    // on this host removes its files (staging-files.ts).
    const kill = () => this.child.kill('SIGKILL');
    if (abort?.aborted) kill();
    else abort?.addEventListener('abort', kill, { once: true });
    this.exited = new Promise<void>((resolve) => {
      const end = (error: Error) => {
        for (const call of this.pending.values()) call.reject(error);
        this.pending.clear();
        abort?.removeEventListener('abort', kill);
        resolve();
      };
      this.child.once('exit', (code, signal) => {
        end(
          abort?.aborted
            ? new UsersStagingError('staging the users table was stopped (shutdown)', { cause: abort.reason })
            : new UsersStagingError(`the users staging process ended (${signal ?? `exit code ${code}`}) before it answered`),
        );
      });
      // A process that could not be started (out of memory, no such file) sends no 'exit'; other errors
      // (a message to a channel closing) are followed by one.
      this.child.on('error', (error) => {
        if (this.child.pid === undefined) end(new UsersStagingError(`cannot start the users staging process: ${error.message}`, { cause: error }));
      });
    });
    this.child.on('message', (reply: StagingReply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) call?.resolve(reply.value);
      else call?.reject(revive(reply.error));
    });
  }

  /**
   * Starts the child and loads `location` into it; rejects as staging in this process would. When
   * `signal` aborts (SIGTERM while staging), the child is killed at once and the call under way rejects.
   */
  static async start(location: UsersLocation, idKind: IdKind, options: OpenOptions = {}, signal?: AbortSignal): Promise<StagingProcess> {
    const staging = new StagingProcess(idKind, signal);
    try {
      staging.report = (await staging.call({ op: 'open', location, idKind, options })) as LoadReport;
    } catch (error) {
      await staging.close();
      throw error;
    }
    return staging;
  }

  /** The child's process ID. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async count(range?: IdRange): Promise<number> {
    return (await this.call({ op: 'count', range })) as number;
  }

  async ntile(partitions: number): Promise<BucketBounds[]> {
    return (await this.call({ op: 'ntile', partitions })) as BucketBounds[];
  }

  /**
   * Writes the users of `range` (all when undefined), in ID order, to a spool file the worker reads;
   * only the first `limit` of them when given.
   */
  async spool(range: IdRange | undefined, limit?: number): Promise<UserSpool> {
    const file = stagingFile('.ndjson');
    const count = (await this.call({ op: 'spool', range, limit, file })) as number;
    return UserSpool.existing(file, count);
  }

  /** Ends the child (it closes and removes its DuckDB file first). Safe to call twice. */
  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    await this.exited;
  }

  private call(request: StagingRequest): Promise<unknown> {
    if (!this.child.connected) return Promise.reject(new UsersStagingError('the users staging process has ended'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, ...request });
    });
  }
}

/** The error the child reported, as the class it was, with its causes. */
function revive(failure: StagingFailure): Error {
  const options = failure.cause ? { cause: reviveCause(failure.cause) } : undefined;
  switch (failure.name) {
    case 'UsersInputError':
      return new UsersInputError(failure.message, options);
    case 'ConfigError':
      return new ConfigError(failure.variable ?? 'USERS', failure.message, options);
    case 'SinkError':
    case 'QueryFailed':
      return new SinkError(failure.message, options, failure.code);
    case 'UsersStagingError':
      return new UsersStagingError(failure.message, options);
    default:
      return new UsersStagingError(`staging the users table failed: ${failure.message}`, { cause: reviveCause(failure) });
  }
}

/** A cause as it was reported: a known class again, else an Error with the name and code it had. */
function reviveCause(failure: StagingFailure): Error {
  if (failure.code !== undefined && failure.name !== 'Error') return revive(failure);
  const cause = failure.cause ? { cause: reviveCause(failure.cause) } : undefined;
  const error = failure.code === undefined ? new Error(failure.message, cause) : new InternalError(failure.message, cause);
  error.name = failure.name;
  return error;
}

/** An error as data for the IPC channel, with its chain of causes (at most a few deep). */
export function describeFailure(error: unknown, depth = 0): StagingFailure {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  return {
    name: error.name,
    code: error instanceof FriendfleetError ? error.code : undefined,
    message: error.message,
    variable: error instanceof ConfigError ? error.variable : undefined,
    cause: error.cause !== undefined && depth < 4 ? describeFailure(error.cause, depth + 1) : undefined,
  };
}
