import type { ZetaCatalog, ZetaColumn } from './analyzer.ts';

/**
 * The tables and views the fake holds, with their GoogleSQL column types, as the analyzer's catalog.
 * Entries come only from statements the analyzer accepted: a CREATE TABLE's column definitions, a
 * CREATE VIEW's output columns. So a view is known to later statements only once its own CREATE VIEW
 * ran, as in BigQuery, and every type is the one GoogleSQL gives, not DuckDB's.
 */
export class SqlCatalog {
  /** `project.dataset.table` → columns. */
  private readonly tables = new Map<string, { project: string; dataset: string; table: string; columns: ZetaColumn[] }>();

  has(project: string, dataset: string, table: string): boolean {
    return this.tables.has(`${project}.${dataset}.${table}`);
  }

  define(project: string, dataset: string, table: string, columns: ZetaColumn[]): void {
    this.tables.set(`${project}.${dataset}.${table}`, { project, dataset, table, columns });
  }

  /**
   * The catalog a statement of `project` sees. BigQuery resolves `project.dataset.table` (in one pair
   * of backticks or as a path), `dataset.table` in the request's project, and a bare name in the
   * request's default dataset; each spelling is a name here (ZetaSQL looks a backticked
   * `a.b.c` up as one name, a path `a.b.c` through nested catalogs).
   */
  forRequest(project: string, defaultDataset: { projectId?: string; datasetId: string } | undefined): ZetaCatalog {
    const table: NonNullable<ZetaCatalog['table']> = [];
    const projects = new Map<string, Map<string, NonNullable<ZetaCatalog['table']>>>();
    for (const t of this.tables.values()) {
      const entry = { name: t.table, column: t.columns };
      table.push({ name: `${t.project}.${t.dataset}.${t.table}`, column: t.columns });
      if (t.project === project) table.push({ name: `${t.dataset}.${t.table}`, column: t.columns });
      if (defaultDataset && (defaultDataset.projectId ?? project) === t.project && defaultDataset.datasetId === t.dataset) table.push(entry);
      const datasets = projects.get(t.project) ?? new Map<string, NonNullable<ZetaCatalog['table']>>();
      projects.set(t.project, datasets);
      datasets.set(t.dataset, [...(datasets.get(t.dataset) ?? []), entry]);
    }
    const catalogs = (datasets: Map<string, NonNullable<ZetaCatalog['table']>>) => [...datasets].map(([name, tables]) => ({ name, table: tables }));
    return {
      name: project,
      table,
      catalog: [...[...projects].map(([name, datasets]) => ({ name, catalog: catalogs(datasets) })), ...catalogs(projects.get(project) ?? new Map())],
    };
  }
}
