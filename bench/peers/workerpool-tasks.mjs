// workerpool registers its task functions through workerpool.worker(); the
// bodies are the same trivial tasks as tasks.mjs.
import workerpool from 'workerpool';

workerpool.worker({
  add: (a, b) => a + b,
  square: (x) => x * x,
});
