// After tsc: writes build/kernels.wasm and build/kernels-relaxed.wasm as base64 into dist/modules/builtin-kernels.js,
// so the browser build carries the built-in kernels in its JavaScript (see src/modules/builtin-kernels.ts for why).
import { readFileSync, writeFileSync } from 'node:fs';

const target = new URL('../dist/modules/builtin-kernels.js', import.meta.url);
let source = readFileSync(target, 'utf8');
for (const [name, file] of [
  ['KERNELS_BASE64', 'kernels.wasm'],
  ['KERNELS_RELAXED_BASE64', 'kernels-relaxed.wasm'],
]) {
  const wasm = readFileSync(new URL(`../build/${file}`, import.meta.url));
  const marker = new RegExp(`export const ${name} = '[A-Za-z0-9+/=]*';`);
  if (!marker.test(source)) {
    console.error(`embed-kernels: ${target.pathname} has no \`export const ${name} = '…';\` line to fill`);
    process.exit(1);
  }
  source = source.replace(marker, `export const ${name} = '${wasm.toString('base64')}';`);
  console.log(`embedded build/${file} (${wasm.length} bytes) into dist/modules/builtin-kernels.js`);
}
writeFileSync(target, source);
