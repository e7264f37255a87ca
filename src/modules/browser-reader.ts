import type { ModuleReader } from './prepare.js';

function baseUrl(): string | undefined {
  // Not import.meta.url: a bundler replaces it with a build-machine path or the bundle's own URL.
  const scope = globalThis as { document?: { baseURI: string }; location?: { href: string } };
  return scope.document?.baseURI ?? scope.location?.href;
}

/** A `data:` URL is named by its start only: a bundler's inlined module runs to kilobytes. */
function labelOf(url: URL): string {
  const href = url.href;
  return url.protocol === 'data:' && href.length > 64 ? `${href.slice(0, 48)}… (a data: URL of ${href.length} characters)` : href;
}

async function fetchOk(url: URL, label: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TypeError(`Could not fetch the task module ${label}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw new TypeError(`Could not fetch the task module ${label}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/**
 * A browser can only fetch, asynchronously, so a module given by URL is
 * checked once its bytes arrive. Bytes are read in full (not compileStreaming)
 * because the signatures come from parsing them.
 */
export const browserReader: ModuleReader = {
  locate(source) {
    try {
      return new URL(source, baseUrl());
    } catch {
      throw new TypeError(`Expected \`module\` to be a URL, bytes or WebAssembly.Module, got ${JSON.stringify(String(source))}`);
    }
  },
  label: labelOf,
  readBytes: async (url, label) => new Uint8Array(await (await fetchOk(url, label)).arrayBuffer()),
  async readResource(url, label) {
    const response = await fetchOk(url, label);
    return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type') ?? undefined };
  },
  probesBindings: false,
  async readText(url) {
    try {
      const response = await fetch(url);
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined; // a missing companion file (bindings beside a .wasm) is not an error
    }
  },
  async exists(url) {
    try {
      return (await fetch(url, { method: 'HEAD' })).ok;
    } catch {
      return false;
    }
  },
  compileSource(_url, label) {
    throw new TypeError(
      `Expected \`module\` in a browser to be a .wasm, .js or .mjs URL, bytes or a WebAssembly.Module, got the AssemblyScript source ${label}; compiling needs Node: run \`npx wasmpool build kernel.ts -o kernel.wasm\` and pass the .wasm`,
    );
  },
};
