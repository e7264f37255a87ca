// `npm run demo`: serves the repository with the cross-origin isolation headers and
// prints the demo page's address. PORT and HOST may be set in the environment.
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { url } = await startStaticServer({
  root,
  isolated: true,
  port: Number(process.env.PORT ?? 8080),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`wasmpool demo: ${url}/demo/  (Ctrl+C to stop; run \`npm run build\` first after changing src/)`);
