// "JS on the pool" for the end-to-end job, written as a user of any JS pool
// would: the task computes a band of rows with the JS twin and returns it;
// the band comes back by structured clone and the caller copies it in place.
import { mandelbrot } from '../../kernels-js/index.js';

export function band(width, rowStart, rows, maxIter, x0, y0, step) {
  const out = new Uint32Array(width * rows);
  mandelbrot(out, width, rowStart, maxIter, x0, y0, step);
  return out;
}
