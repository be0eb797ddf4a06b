// Bundles the agent (tsc's dist/register.js and everything it loads) into
// dist/register.bundle.js, which dist/preload.js loads with a V8 code cache: one file
// instead of a few hundred modules to resolve, read and compile.
//
// The input is tsc's CommonJS output, so every package is taken through its "require"
// entry: bundling the TypeScript sources would take `import`ed packages through their ESM
// entry and `require`d ones through their CommonJS entry, two copies of a package with
// module state of its own (@opentelemetry/core's global error handler, for one).
//
// Left outside the bundle, loaded from node_modules when used:
// - import-in-the-middle and require-in-the-middle: the ESM loader hook rewrites modules
//   to import import-in-the-middle's registry by its package path, so the agent must use
//   that same module instance, not a bundled copy;
// - @sentry/*: large, and loaded only when SENTRY_DSN is set;
// - the logs SDK: loaded only with OTEL_LOGS_EXPORTER=otlp (it brings its own copies of
//   the OpenTelemetry packages it uses from node_modules).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const agent = fileURLToPath(new URL('..', import.meta.url));

await build({
  entryPoints: [`${agent}dist/register.js`],
  outfile: `${agent}dist/register.bundle.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  mainFields: ['main'],
  external: [
    'import-in-the-middle',
    'import-in-the-middle/*',
    'require-in-the-middle',
    '@sentry/*',
    '@opentelemetry/sdk-logs',
  ],
  // import('http') (otlp-exporter-base loads its transport so) becomes a require behind a
  // promise: code compiled with vm.Script cannot import() without an experimental loader
  // hook that prints a warning into the host's stderr.
  supported: { 'dynamic-import': false },
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
});
