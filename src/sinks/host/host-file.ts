/** Where a running warehouse host announces itself, next to the DuckDB file it owns. */
export function hostFileOf(dbPath: string): string {
  return `${dbPath}.host.json`;
}
