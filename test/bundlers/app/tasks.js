// The app's own JavaScript task module: every exported function is a kernel.
export function greet(name) {
  return `hello, ${name}`;
}

export function triple(x) {
  return 3 * x;
}
