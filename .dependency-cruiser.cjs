// The layering of src/, checked by dependency-cruiser in `npm test` (test/layering.test.ts) and by
// hand with `npx depcruise src` (add `--output-type dot` for a graph). README's Layout section is
// drawn from LAYERS below: change both together.
//
// Every part of src/ sits in one layer. A module imports its own part, and parts of lower layers
// only: nothing points up, and parts of one layer stay independent of each other. A new folder
// under src/ has to be placed here first (rule `in-a-layer`).
//
// TypeScript 7 has no JavaScript API, so the sources are parsed with swc (@swc/core); it reads
// `import type` like any import, so type-only imports obey the same rules.

/** Bottom layer first: [part, path pattern, what it is]. */
const LAYERS = [
  [
    ['observability', '^src/observability/', 'logs and Prometheus metrics'],
    ['concurrency', '^src/concurrency/', 'the micro-batcher, coalesced socket writes'],
    ['generated', '^src/generated/', 'the Prisma client, generated from prisma/schema.prisma'],
    ['identity', '^src/identity/', "verifying the shop's customer tokens (JWT)"],
  ],
  [
    ['store', '^src/store/', 'Postgres: embedded server, migrations, repositories'],
    ['actions', '^src/actions/', "calling the shops' action webhooks: signed, timed out, retried, behind a breaker"],
    ['nlu', '^src/nlu/', 'featurizer, models, ONNX runtime, Transformers.js encoder'],
    ['entities', '^src/entities/', 'entities in visitor messages: numbers, money, dates, contacts, catalogue types'],
  ],
  [
    ['retrieval', '^src/retrieval/', 'HNSW index and knowledge chunking'],
    ['catalogue', '^src/catalogue/', 'the intent catalogue (intents/*.yaml)'],
    ['evaluation', '^src/evaluation/', 'scoring a model, the report, the promotion gate'],
    ['protocol', '^src/protocol/', 'error codes clients see, payload validation, rich text'],
    ['shop', '^src/shop/', 'the reference shop: demo orders behind a signed action webhook'],
    ['privacy', '^src/privacy/', "a visitor's data rights (find, export, erase) and retention"],
    ['availability', '^src/availability/', "business hours, agents' presence, the offline follow-up by e-mail"],
  ],
  [
    ['corpus', '^src/corpus/', 'what models learn from: import, export, redaction, training sets'],
    ['fitting', '^src/fitting/', 'training a model'],
    ['attachments', '^src/attachments/', 'files visitors and agents send: type checked by content, signed URLs, a blob store'],
  ],
  [
    ['dialogue', '^src/dialogue/', 'the decision: policy, service, knowledge fallback'],
    ['models', '^src/models/', 'the model lifecycle: registry, live model, retraining'],
    ['reports', '^src/reports/', "the desk's reports: figures over a time range, redacted top requests, CSV"],
    ['discovery', '^src/discovery/', 'intent discovery from unlabelled logs: requests, clustering, proposals, review'],
  ],
  [['agents', '^src/agents/', "agents' use cases: accounts, state machine, queue, corrections"]],
  // Above the parts it configures (it reads their defaults and settings types), so that they are
  // handed their settings and never read the configuration themselves.
  [['config', '^src/config/', 'environment variables, validated at start, with every default']],
  [['gateway', '^src/gateway/', 'Socket.IO + HTTP transport']],
  [['process', '^src/(server|lifecycle)[.]ts$', 'wiring of one server process, start and shutdown']],
  [['cli', '^src/cli/', 'the `frontdesk` commands']],
];

const parts = LAYERS.flat();
const anyPart = parts.map(([, path]) => `(${path})`).join('|');

/** One rule per part: it may not import a part of its own layer or of a layer above it. */
const layerRules = LAYERS.flatMap((layer, index) =>
  layer.map(([name, path]) => {
    const notBelow = LAYERS.slice(index)
      .flat()
      .filter(([other]) => other !== name);
    return {
      name: `layer-${name}`,
      comment: `${name} imports only ${index === 0 ? 'nothing of src/' : LAYERS.slice(0, index).flat().map(([n]) => n).join(', ')}`,
      severity: 'error',
      from: { path },
      to: { path: notBelow.map(([, p]) => `(${p})`).join('|') },
    };
  }),
).filter((rule) => rule.to.path !== '');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles (the generated Prisma client is not ours to fix)',
      severity: 'error',
      from: { pathNot: '^src/generated/' },
      to: { circular: true },
    },
    {
      name: 'gateway-not-store',
      comment: 'the gateway reaches data through the agents and dialogue use cases, never the store',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'dialogue-not-transport',
      comment: 'the dialogue knows nothing of its transport, the agents code or the CLI',
      severity: 'error',
      from: { path: '^src/dialogue/' },
      to: { path: '^src/(gateway|agents|cli)/' },
    },
    {
      name: 'gateway-only-from-entry',
      comment: 'only the server wiring and the CLI import the gateway',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(gateway/|cli/|server[.]ts$)' },
      to: { path: '^src/gateway/' },
    },
    {
      name: 'src-not-tests',
      comment: 'src/ never imports tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'in-a-layer',
      comment: 'every part of src/ is placed in LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: anyPart },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'src/ runs in production, where devDependencies are not installed',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/generated/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    ...layerRules,
  ],
  options: {
    parser: 'swc',
    moduleSystems: ['es6', 'cjs'],
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main'],
    },
    reporterOptions: {
      // `--output-type dot` draws one node per part of src/ and per package.
      dot: { collapsePattern: '^(src/[^/]+/|node_modules/(@[^/]+/)?[^/]+)' },
    },
  },
};

// For test/layering.test.ts, which checks README's table against it; not enumerable, because
// dependency-cruiser rejects a configuration with keys it does not know.
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
