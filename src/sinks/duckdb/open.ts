import { DuckDBInstance } from '@duckdb/node-api';
import { SinkError } from '../../core/errors.ts';

/**
 * Opens a DuckDB file: to write it (created when missing), or read-only (it must exist). DuckDB lets
 * one process open a file to write and locks out every other, so the commonest failure gets its remedy
 * spelled out.
 */
export async function openDuckDbFile(path: string, mode: 'write' | 'read'): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, mode === 'read' ? { access_mode: 'READ_ONLY' } : {});
  } catch (error) {
    const message = (error as Error).message;
    const remedy = /Could not set lock/.test(message)
      ? " (another process has the file open: a second worker on it, or a reader; the workers of one machine share a file through a fleet's warehouse host)"
      : '';
    throw new SinkError(`cannot open DuckDB file ${path}: ${message}${remedy}`, { cause: error });
  }
}
