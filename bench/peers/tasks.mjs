// The trivial tasks every pool runs in the dispatch benchmark, as a plain JS
// module: tinypool and piscina call a named export with one argument, and
// wasmpool can load it as a JS task module too.

export function add(args) {
  return args[0] + args[1];
}

export function square(x) {
  return x * x;
}
