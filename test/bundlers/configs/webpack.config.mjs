// The README's webpack 5 recipe ("Bundlers"): a plain production config; nothing for wasmpool.
export default {
  mode: 'production',
  entry: './main.js',
  output: { path: new URL('./dist/', import.meta.url).pathname, clean: true },
};
