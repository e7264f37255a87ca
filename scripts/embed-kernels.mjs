// After tsc: writes build/kernels.wasm as base64 into dist/modules/builtin-kernels.js, so the browser build
// carries the built-in kernels in its JavaScript (see src/modules/builtin-kernels.ts for why).
import { readFileSync, writeFileSync } from 'node:fs';

const target = new URL('../dist/modules/builtin-kernels.js', import.meta.url);
const wasm = readFileSync(new URL('../build/kernels.wasm', import.meta.url));
const source = readFileSync(target, 'utf8');
const marker = /export const KERNELS_BASE64 = '[A-Za-z0-9+/=]*';/;
if (!marker.test(source)) {
  console.error(`embed-kernels: ${target.pathname} has no \`export const KERNELS_BASE64 = '…';\` line to fill`);
  process.exit(1);
}
writeFileSync(target, source.replace(marker, `export const KERNELS_BASE64 = '${wasm.toString('base64')}';`));
console.log(`embedded build/kernels.wasm (${wasm.length} bytes) into dist/modules/builtin-kernels.js`);
