// A static file server for the browser tests and the demo. With `isolated`, every
// response carries the two headers that make a page cross-origin isolated, which is
// what gives it SharedArrayBuffer, a shared WebAssembly.Memory and Atomics.
import { createServer } from 'node:http';
import sirv from 'sirv';

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Serves `root` on 127.0.0.1. Resolves with the server and its base URL.
 * @param {{ root: string, isolated: boolean, port?: number, host?: string }} options
 */
export async function startStaticServer({ root, isolated, port = 0, host = '127.0.0.1' }) {
  const files = sirv(root, {
    dev: true, // no caching: the tests and the demo always see the latest build
    dotfiles: false,
    setHeaders(res) {
      if (isolated) for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    },
  });
  const server = createServer((req, res) =>
    files(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    }),
  );
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return { server, url: `http://${host}:${address.port}` };
}
