/**
 * GoogleSQL (BigQuery) → DuckDB, for the BigQuery fake only.
 *
 * Why the fake runs SQL at all, rather than answering the product's known query shapes: the monitoring
 * views, the resume query and the users query are SQL the product ships for real BigQuery. Canned
 * answers would test that the product parses canned answers; running the same text (after the small,
 * explicit rewrites below) on the rows that actually arrived tests the SQL too: a wrong join, a wrong
 * filter or a misnamed column in a view fails a test. The rewrites are mechanical and listed one by
 * one, so a reader can check that none of them changes what a statement means; anything not listed
 * goes to DuckDB as written, and a construct DuckDB does not know fails loudly (400 invalidQuery).
 *
 * Not covered (the product does not use them): scripting, DML, STRUCT, legacy SQL, wildcard tables.
 */

/** How a CREATE TABLE asked BigQuery to lay the table out; the fake reports it in tables.get. */
export interface TableLayout {
  partitionField?: string;
  clusterFields?: string[];
}

export interface Translated {
  sql: string;
  /** Set for CREATE TABLE statements. */
  layout?: TableLayout;
}

/** Macros standing in for GoogleSQL functions DuckDB lacks or defines differently. */
export const MACROS = [
  `CREATE OR REPLACE MACRO bq_safe_divide(a, b) AS a / nullif(b, 0)`,
  // TIMESTAMP_DIFF(a, b, UNIT) is a - b in whole units; DuckDB's date_diff takes (unit, start, end).
  `CREATE OR REPLACE MACRO bq_timestamp_diff(a, b, unit) AS date_diff(unit, b, a)`,
  `CREATE OR REPLACE MACRO bq_timestamp_sub(t, i) AS t - i`,
  `CREATE OR REPLACE MACRO bq_timestamp_add(t, i) AS t + i`,
  `CREATE OR REPLACE MACRO bq_unix_seconds(t) AS CAST(floor(epoch(t)) AS BIGINT)`,
  `CREATE OR REPLACE MACRO bq_div(a, b) AS CAST(trunc(a / b) AS BIGINT)`,
  // BigQuery returns NULL when the pattern does not match (DuckDB returns ''), and the first group.
  `CREATE OR REPLACE MACRO bq_regexp_extract(s, re) AS CASE WHEN regexp_matches(s, re) THEN regexp_extract(s, re, 1) END`,
];

/** GoogleSQL function → DuckDB function or macro of the same arguments. */
const FUNCTIONS: Record<string, string> = {
  SAFE_DIVIDE: 'bq_safe_divide',
  TIMESTAMP_DIFF: 'bq_timestamp_diff',
  TIMESTAMP_SUB: 'bq_timestamp_sub',
  TIMESTAMP_ADD: 'bq_timestamp_add',
  TIMESTAMP_SECONDS: 'to_timestamp',
  UNIX_SECONDS: 'bq_unix_seconds',
  DIV: 'bq_div',
  JSON_VALUE: 'json_extract_string',
  REGEXP_EXTRACT: 'bq_regexp_extract',
  // Both are true when the pattern matches anywhere in the string.
  REGEXP_CONTAINS: 'regexp_matches',
  ARRAY_LENGTH: 'len',
  LOGICAL_OR: 'bool_or',
  LOGICAL_AND: 'bool_and',
};

/** Column types of CREATE TABLE and CAST. */
const TYPES: [RegExp, string][] = [
  [/\bARRAY\s*<\s*STRING\s*>/gi, 'VARCHAR[]'],
  [/\bARRAY\s*<\s*INT64\s*>/gi, 'BIGINT[]'],
  [/\bSTRING\b/gi, 'VARCHAR'],
  [/\bINT64\b/gi, 'BIGINT'],
  [/\bFLOAT64\b/gi, 'DOUBLE'],
  [/\bBOOL\b/gi, 'BOOLEAN'],
  [/\bNUMERIC\b/gi, 'DECIMAL(38, 9)'],
  // A BigQuery TIMESTAMP is an instant; DuckDB's TIMESTAMP is a wall-clock time. Not the TIMESTAMP() function.
  [/\bTIMESTAMP\b(?!\s*\()/gi, 'TIMESTAMPTZ'],
];

const UNITS = 'MICROSECOND|MILLISECOND|SECOND|MINUTE|HOUR|DAY';

/**
 * Splits SQL into code and literals, so that rewrites touch code only: string literals (including raw
 * r'…' strings) become DuckDB string literals, `project.dataset.table` in backticks becomes a quoted
 * DuckDB name, comments go.
 */
function tokenize(sql: string, defaultProject: string): { code: string; literals: string[] } {
  const literals: string[] = [];
  let code = '';
  let i = 0;
  const keep = (literal: string) => {
    literals.push(literal);
    code += `\u0000${literals.length - 1}\u0000`;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    const raw = (c === 'r' || c === 'R') && (sql[i + 1] === "'" || sql[i + 1] === '"') && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ');
    if (c === "'" || c === '"' || raw) {
      const quote = raw ? sql[i + 1]! : c;
      let j = raw ? i + 2 : i + 1;
      let text = '';
      while (j < sql.length && sql[j] !== quote) {
        // GoogleSQL escapes with backslashes (not in raw strings); DuckDB strings take them literally.
        if (!raw && sql[j] === '\\' && j + 1 < sql.length) {
          j++;
          text += sql[j] === 'n' ? '\n' : sql[j] === 't' ? '\t' : sql[j];
        } else {
          text += sql[j];
        }
        j++;
      }
      keep(`'${text.replaceAll("'", "''")}'`);
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = sql.indexOf('`', i + 1);
      keep(quotedName(sql.slice(i + 1, j), defaultProject));
      i = j + 1;
      continue;
    }
    code += c;
    i++;
  }
  return { code, literals };
}

/**
 * `project.dataset.table` → "project.dataset"."table": each dataset is a DuckDB schema named after its
 * project and dataset. `dataset.table` takes the request's project; a bare name stays bare (the
 * default dataset is the schema search path).
 */
export function quotedName(name: string, defaultProject: string): string {
  const parts = name.split('.');
  if (parts.length === 3) return `"${parts[0]}.${parts[1]}"."${parts[2]}"`;
  if (parts.length === 2) return `"${defaultProject}.${parts[0]}"."${parts[1]}"`;
  return `"${name}"`;
}

/** The DuckDB schema that holds a dataset's tables and views. */
export function schemaOf(project: string, dataset: string): string {
  return `"${project}.${dataset}"`;
}

function rewrite(code: string): { code: string; layout?: TableLayout } {
  let out = code;
  let layout: TableLayout | undefined;
  if (/^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\b/i.test(out)) {
    // Partitioning, clustering and options describe storage, not content: DuckDB has no use for them.
    layout = {};
    out = out.replace(/\)\s*((?:PARTITION\s+BY|CLUSTER\s+BY|OPTIONS)[\s\S]*)$/i, (_, tail: string) => {
      const partition = /PARTITION\s+BY\s+(?:DATE\s*\(\s*(\w+)\s*\)|(\w+))/i.exec(tail);
      if (partition) layout!.partitionField = partition[1] ?? partition[2];
      const cluster = /CLUSTER\s+BY\s+([\w\s,]+?)(?=\s*(?:OPTIONS|;|$))/i.exec(tail);
      if (cluster) layout!.clusterFields = cluster[1]!.split(',').map((f) => f.trim());
      return ')';
    });
  }
  for (const [pattern, type] of TYPES) out = out.replace(pattern, type);
  out = out
    // Named query parameters: @name → $name.
    .replace(/@(\w+)/g, '$$$1')
    .replace(/\bSAFE_CAST\s*\(/gi, 'TRY_CAST(')
    .replace(/\bCURRENT_TIMESTAMP\s*\(\s*\)/gi, 'current_timestamp')
    // Date-part arguments (TIMESTAMP_DIFF(a, b, MILLISECOND)) become strings for the macros.
    .replace(new RegExp(`,\\s*(${UNITS})\\s*\\)`, 'gi'), (_, unit: string) => `, '${unit.toLowerCase()}')`)
    // Array subscripts: GoogleSQL's are 0-based (OFFSET) or 1-based (ORDINAL); DuckDB's are 1-based and
    // give NULL out of range, as the SAFE_ forms do.
    .replace(/\[\s*(?:SAFE_)?OFFSET\s*\(([^()\]]+)\)\s*\]/gi, '[($1) + 1]')
    .replace(/\[\s*(?:SAFE_)?ORDINAL\s*\(([^()\]]+)\)\s*\]/gi, '[$1]')
    // UNNEST(list) AS x WITH OFFSET AS i → a lateral subquery with the element and its 0-based offset.
    .replace(
      /\bUNNEST\s*\(([^()]+)\)\s+AS\s+(\w+)\s+WITH\s+OFFSET\s+AS\s+(\w+)/gi,
      (_, list: string, element: string, offset: string) => `(SELECT unnest(${list}) AS ${element}, generate_subscripts(${list}, 1) - 1 AS ${offset}) AS ${element}_unnested`,
    );
  for (const [name, replacement] of Object.entries(FUNCTIONS)) out = out.replace(new RegExp(`\\b${name}\\s*\\(`, 'gi'), `${replacement}(`);
  return layout ? { code: out, layout } : { code: out };
}

/** Translates one GoogleSQL statement for DuckDB. */
export function translate(sql: string, defaultProject: string): Translated {
  const { code, literals } = tokenize(sql, defaultProject);
  const { code: rewritten, layout } = rewrite(code);
  const out = rewritten
    .replace(/\u0000(\d+)\u0000/g, (_, n: string) => literals[Number(n)]!)
    .trim()
    .replace(/;\s*$/, '');
  return layout ? { sql: out, layout } : { sql: out };
}
