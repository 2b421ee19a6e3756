/**
 * The users staging process (users/staging-process.ts): holds the worker's StagedUserTable and answers
 * its requests over the IPC channel, one at a time, until the worker disconnects.
 */
import { UsersStagingError } from '../core/errors.ts';
import { UserSpool } from './spool.ts';
import { StagedUserTable } from './staged-table.ts';
import { describeFailure, type StagingReply, type StagingRequest } from './staging-process.ts';

let table: StagedUserTable | undefined;
let queue: Promise<void> = Promise.resolve();

// The worker decides what a signal means; this process ends when the worker lets go of it.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  // After the request in progress, if any: closing DuckDB under a running query is not safe.
  void queue.then(async () => {
    await table?.close().catch(() => undefined);
    process.exit(0);
  });
});
process.on('message', (request: StagingRequest & { id: number }) => {
  queue = queue.then(() => answer(request));
});

async function answer(request: StagingRequest & { id: number }): Promise<void> {
  let reply: StagingReply;
  try {
    reply = { id: request.id, ok: true, value: await handle(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: describeFailure(error) };
  }
  if (process.connected) process.send!(reply);
}

async function handle(request: StagingRequest): Promise<unknown> {
  if (request.op === 'open') {
    table = await StagedUserTable.open(request.location, request.idKind, request.options);
    return table.report;
  }
  if (!table) throw new UsersStagingError('no users table is open');
  switch (request.op) {
    case 'count':
      return table.count(request.range);
    case 'ntile':
      return table.ntile(request.partitions);
    case 'spool': {
      const spool = await UserSpool.write(request.file, table.users(request.range, request.limit));
      // A worker killed while its bucket was being written will never read (or remove) the file.
      if (!process.connected) spool.remove();
      return spool.count;
    }
  }
}
