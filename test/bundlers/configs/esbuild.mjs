// The README's esbuild recipe ("Bundlers"). esbuild neither bundles `new Worker(new URL(…))` nor copies
// `new URL(…)` assets, so wasmpool's worker is a second entry point, passed to the Pool as `workerUrl` (this app
// reads it from a <meta> tag, so one main.js serves every bundler), and the assets are copied.
import { build } from 'esbuild';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';

await build({
  entryPoints: { main: './main.js', 'wasmpool-worker': 'wasmpool/worker' },
  bundle: true,
  format: 'esm',
  minify: true,
  outdir: 'dist',
});
for (const asset of ['tasks.js', 'kernel.wasm']) cpSync(asset, `dist/${asset}`);
const html = readFileSync('index.html', 'utf8');
writeFileSync('dist/index.html', html.replace('<head>', '<head>\n    <meta name="wasmpool-worker" content="./wasmpool-worker.js" />'));

// The TypeScript task module (app/ts): the app's own worker script is the second entry point.
await build({
  entryPoints: { main: './ts/main.ts', 'tasks-worker': './ts/tasks-worker.ts' },
  bundle: true,
  format: 'esm',
  minify: true,
  outdir: 'ts/dist',
});
const tsHtml = readFileSync('ts/index.html', 'utf8').replace('./main.ts', './main.js');
writeFileSync('ts/dist/index.html', tsHtml.replace('<head>', '<head>\n    <meta name="tasks-worker" content="./tasks-worker.js" />'));
