/**
 * The allowed directions between src/'s folders, written once: each folder imports only from its own
 * folder and from the layers listed before its own; folders of one layer do not import each other.
 * docs/design.md explains each layer. Run by `npm run lint` (and so by .ci/run).
 */
const LAYERS = [
  ['core'], // errors, ids, backoff, logging, rate info: imports nothing of ours
  ['sources', 'sim'], // wire formats; the simulated network (which knows nothing of our sources)
  ['collector', 'partition'], // batches, concurrency and budgets; buckets and plans
  ['sinks'], // the warehouses
  ['users'], // the users table (read through a warehouse's client where it lives in one)
  ['monitor'], // progress, heartbeats, summaries read from a warehouse
  ['config'], // settings turned into the typed options of the layers below
  ['cli'], // commands and the worker, composing everything
];

const below = (i) => LAYERS.slice(0, i).flat();

module.exports = {
  forbidden: [
    ...LAYERS.flatMap((layer, i) =>
      layer.map((name) => ({
        name: `layer-${name}`,
        comment: `src/${name}/ imports only from itself${i > 0 ? ` and from ${below(i).join(', ')}` : ''}`,
        severity: 'error',
        from: { path: `^src/${name}/` },
        to: { path: '^src/', pathNot: `^src/(${[name, ...below(i)].join('|')})/` },
      })),
    ),
    {
      name: 'no-cycles',
      comment: 'No module reaches itself through its imports, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-stands-alone',
      comment: 'src/ never imports tests, benchmarks or tooling',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|\\.ci)/' },
    },
    {
      name: 'resolvable',
      comment: 'Every relative import names a file that exists',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
