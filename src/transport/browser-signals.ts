/**
 * Messages between the browser transport and its worker entry that the pool never sees. Its own file: the
 * worker entry must not import transport/browser.ts, whose `new Worker(new URL(…))` a bundler would follow
 * into the worker's own bundle.
 */

/** The worker entry posts this once its script (and every import) has run. */
export const LOADED = 'wasmpool:loaded';
