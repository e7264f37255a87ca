// The README's Rollup recipe ("Bundlers"). Like esbuild, Rollup neither bundles `new Worker(new URL(…))` nor
// copies `new URL(…)` assets: wasmpool's worker is a second input, passed to the Pool as `workerUrl` (this app
// reads it from a <meta> tag), and the assets are emitted as they are. Add a minifier (terser) for production.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { readFileSync } from 'node:fs';

const html = readFileSync('index.html', 'utf8').replace('<head>', '<head>\n    <meta name="wasmpool-worker" content="./wasmpool-worker.js" />');

export default {
  input: { main: 'main.js', 'wasmpool-worker': 'wasmpool/worker' },
  output: { dir: 'dist', format: 'es' },
  plugins: [
    nodeResolve({ browser: true }),
    {
      name: 'copy-assets',
      generateBundle() {
        for (const fileName of ['tasks.js', 'kernel.wasm']) this.emitFile({ type: 'asset', fileName, source: readFileSync(fileName) });
        this.emitFile({ type: 'asset', fileName: 'index.html', source: html });
      },
    },
  ],
};
