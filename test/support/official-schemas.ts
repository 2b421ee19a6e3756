import { readdirSync, readFileSync } from 'node:fs';
import { Lexicons } from '@atproto/lexicon';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/*
 * The services' own definitions, which our sim and parsers did not write: X's OpenAPI document (the
 * `GET /2/users/{id}/following` subset of two versions, test/fixtures/twitter-api/openapi/) and
 * Bluesky's lexicons (test/fixtures/bluesky/lexicons/). Each fixture README says where they came from.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
type Schema = Record<string, unknown>;

interface XVersion {
  version: string;
  page: ValidateFunction;
  problem: ValidateFunction;
  error: ValidateFunction;
}

/**
 * OpenAPI's discriminator without a oneOf (X's document before 2.167: `Problem` maps each `type` to a
 * schema that is `allOf` Problem and more) as plain JSON Schema: a problem must match the schema its
 * `type` names, and a type the mapping does not name matches none.
 */
function discriminated(schemas: Record<string, Schema>): Record<string, Schema> {
  const problem = schemas.Problem as Schema & { discriminator?: { mapping: Record<string, string> }; oneOf?: unknown };
  if (!problem.discriminator || problem.oneOf) return schemas;
  const { discriminator, ...base } = problem;
  const out: Record<string, Schema> = { ...schemas, ProblemBase: base };
  // The mapped schemas extend the base; everything else that names Problem gets the discriminated one.
  for (const ref of Object.values(discriminator.mapping)) {
    const name = ref.slice(ref.lastIndexOf('/') + 1);
    out[name] = JSON.parse(JSON.stringify(schemas[name]).replaceAll('"#/components/schemas/Problem"', '"#/components/schemas/ProblemBase"'));
  }
  out.Problem = {
    oneOf: Object.entries(discriminator.mapping).map(([type, ref]) => ({ allOf: [{ type: 'object', required: ['type'], properties: { type: { const: type } } }, { $ref: ref }] })),
  };
  return out;
}

function loadX(file: string): XVersion {
  const doc = JSON.parse(readFileSync(new URL(`../fixtures/twitter-api/openapi/${file}`, import.meta.url), 'utf8')) as {
    info: { version: string };
    paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> } }>;
    components: { schemas: Record<string, Schema> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  const id = `x-${doc.info.version}.json`;
  ajv.addSchema({ $id: id, components: { schemas: discriminated(doc.components.schemas) } });
  const responses = doc.paths['/2/users/{id}/following']!.get.responses;
  const compile = (ref: string) => ajv.compile({ $ref: `${id}${ref}` });
  return {
    version: doc.info.version,
    page: compile(responses['200']!.content['application/json']!.schema.$ref),
    problem: compile(responses.default!.content['application/problem+json']!.schema.$ref),
    error: compile(responses.default!.content['application/json']!.schema.$ref),
  };
}

const X_VERSIONS = [loadX('following-2.166.json'), loadX('following-2.167.json')];

/** The statuses X's edge answers with an HTML page of its own, outside the API's document. */
const EDGE_STATUSES = new Set([502, 503, 504]);

/**
 * Problems with an answer of X API v2 `GET /2/users/:id/following`, or an empty list when it is valid
 * under one version of X's OpenAPI document: a 200 against the operation's response schema, a
 * `application/problem+json` answer against `Problem`, another JSON answer against `Error` (or each of
 * its `errors[]`, the envelope of X's rate-limit page's 429), an HTML page only from the edge (502-504).
 */
export function xAnswerProblems(status: number, contentType: string, body: string): string[] {
  if (contentType.startsWith('text/html')) return EDGE_STATUSES.has(status) ? [] : [`HTML answer with status ${status}`];
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  const found: string[] = [];
  for (const v of X_VERSIONS) {
    let checks: [ValidateFunction, unknown][];
    if (status === 200) checks = [[v.page, value]];
    else if (contentType.startsWith('application/problem+json')) checks = [[v.problem, value]];
    else {
      const errors = (value as { errors?: unknown }).errors;
      checks = Array.isArray(errors) && (value as { type?: unknown }).type === undefined ? errors.map((e) => [v.error, e]) : [[v.error, value]];
    }
    const failed = checks.flatMap(([validate, item]) => (validate(item) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)));
    if (failed.length === 0) return [];
    found.push(`${v.version}: ${failed.slice(0, 4).join('; ')}`);
  }
  return found;
}

const lexicons = new Lexicons();
const lexiconDir = new URL('../fixtures/bluesky/lexicons/', import.meta.url);
for (const file of readdirSync(lexiconDir)) lexicons.add(JSON.parse(readFileSync(new URL(file, lexiconDir), 'utf8')));

/**
 * Problems with an XRPC answer of `nsid` (app.bsky.graph.getFollows, app.bsky.actor.getProfile): a 200
 * against the method's output in its lexicon (with @atproto/lexicon), an error against XRPC's error
 * body (`{"error": name, "message"?: text}`, the atproto HTTP spec's).
 */
export function xrpcAnswerProblems(nsid: string, status: number, body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  if (status === 200) {
    try {
      lexicons.assertValidXrpcOutput(nsid, value);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
  const o = value as { error?: unknown; message?: unknown };
  const found: string[] = [];
  if (typeof o.error !== 'string' || o.error === '') found.push('error body without an error name');
  if (o.message !== undefined && typeof o.message !== 'string') found.push('error message is not a string');
  return found;
}
