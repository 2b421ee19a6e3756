#!/usr/bin/env node
/**
 * The friendfleet command. While its modules load (a moment; Heroku may restart a dyno in it) nothing
 * has started, so a SIGTERM or SIGINT then ends the process at once with exit 0, as a stopped worker
 * does, instead of killing it by the signal. The modules are imported only once this is in place; when
 * the command begins it handles signals itself (a worker's graceful stop) or they end it as usual.
 */
// Every file friendfleet makes (the warehouse and its WAL, exports, temporary files) is its owner's
// only: DuckDB creates its own files, so the process's mask is the one place that covers them all.
process.umask(0o077);
// Before anything else is imported: on an old Node the first import dies with a stack trace.
const { unsupportedNode } = await import('./node-version.ts');
const refusal = unsupportedNode(process.versions.node);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(2);
}
const endNow = () => process.exit(0);
process.on('SIGTERM', endNow);
process.on('SIGINT', endNow);

const { main } = await import('./entry.ts');
await main(process.argv, () => {
  process.off('SIGTERM', endNow);
  process.off('SIGINT', endNow);
});
