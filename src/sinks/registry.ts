import { DuckDbSink } from './duckdb/sink.ts';
import type { Sink, SinkOptions } from './sink.ts';

/** A parsed SINK value. */
export type SinkUri = { kind: 'duckdb'; path: string };

/** Opens (and prepares) the warehouse a SINK names. */
export async function openSink(uri: SinkUri, options: SinkOptions = {}): Promise<Sink> {
  const sink = new DuckDbSink(uri.path, options);
  await sink.open();
  return sink;
}
