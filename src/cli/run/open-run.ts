import type { Logger } from 'pino';
import type { RequestBudget } from '../../collector/budget.ts';
import { createBudget, createHostBudget, type BudgetSpec } from '../../collector/create-budget.ts';
import type { RunStats } from '../../collector/stats.ts';
import { openSink, type SinkUri, type Warehouse } from '../../sinks/registry.ts';
import { createSource, type SourceOptions } from '../../sources/registry.ts';
import type { Source } from '../../sources/source.ts';

export interface WarehouseOptions {
  /** DEAD_LETTER_FILE. */
  deadLetterFile: string | undefined;
  /** SINK_BUFFER_ROWS. */
  maxBufferedRows: number | undefined;
}

/**
 * Opens the warehouse the run writes to, counting stored and refused rows in `stats`; `resources`
 * closes it (flushing what is left), and a failure to close is logged: the run's own outcome is what
 * the caller reports.
 */
export async function openWarehouse(uri: SinkUri, options: WarehouseOptions, stats: RunStats, log: Logger, resources: AsyncDisposableStack): Promise<Warehouse> {
  const sink = await openSink(uri, {
    onAcknowledged: (rows) => (stats.usersSaved += rows.length),
    onDeadLettered: (rows) => (stats.deadLetters += rows),
    deadLetterFile: options.deadLetterFile,
    maxBufferedRows: options.maxBufferedRows,
    log,
  });
  resources.defer(() => sink.close().catch((e: unknown) => log.error({ err: e }, 'closing the sink failed')));
  return sink;
}

/**
 * Opens the source and the budget its requests go through (a lane per credential, or per host for a
 * source whose users live on different hosts); `resources` closes both (the budget first).
 */
export async function openSource(
  options: SourceOptions,
  budget: (credentials: number, byHost: boolean) => BudgetSpec,
  resources: AsyncDisposableStack,
): Promise<{ source: Source; budget: RequestBudget<number | string> }> {
  const source = createSource(options);
  resources.defer(() => source.close());
  const spec = budget(source.credentials, source.routing !== undefined);
  const opened = source.routing ? await createHostBudget(spec, source.routing.unstatedLimits) : await createBudget(spec);
  resources.defer(() => opened.close());
  return { source, budget: opened };
}
