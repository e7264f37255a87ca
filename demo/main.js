// The demo page: renders a Mandelbrot set with a wasmpool Pool, WebAssembly or JavaScript kernel.
/* global Option, ImageData, crossOriginIsolated */
import { Pool } from '../dist/browser.js';

const WIDTH = 640;
const HEIGHT = 400;
const ROWS_PER_TASK = 8;
// The view: the whole set, centred.
const X0 = -2.3;
const STEP = 3.3 / WIDTH;
const Y0 = -(HEIGHT / 2) * STEP;

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const context = canvas.getContext('2d');

const cores = navigator.hardwareConcurrency || 4;
for (let n = 1; n <= Math.max(cores, 8); n++) $('workers').add(new Option(String(n), String(n), false, n === cores));

/** One pool per (kernel, workers): kept between renders, so a re-render does not pay for start-up. */
let current;

async function poolFor(kernel, workers) {
  if (current && current.kernel === kernel && current.workers === workers) return current;
  if (current) await current.pool.terminate();
  const bytes = WIDTH * HEIGHT * 4;
  if (kernel === 'wasm') {
    const pool = new Pool({ workers });
    // A zero-copy array in the pool's shared WebAssembly.Memory: the kernel writes each band in place.
    current = { kernel, workers, pool, pixels: pool.alloc(Uint8ClampedArray, bytes) };
  } else {
    const pool = new Pool({ workers, module: new URL('../kernels-js/index.js', import.meta.url) });
    // A view of a SharedArrayBuffer is shared, not copied, when it is posted to a worker.
    current = { kernel, workers, pool, pixels: new Uint8ClampedArray(new SharedArrayBuffer(bytes)) };
  }
  // Warm up every worker with a cheap render (start-up and compiling are not what the timing is about).
  await current.pool.starmap('mandelbrotRGBA', bandArgs(current, 1), { chunksize: 1 });
  return current;
}

function bandArgs(setup, maxIter) {
  const tasks = [];
  for (let row = 0; row < HEIGHT; row += ROWS_PER_TASK) {
    const rows = Math.min(ROWS_PER_TASK, HEIGHT - row);
    const start = row * WIDTH * 4;
    const length = rows * WIDTH * 4;
    // The same arguments for both kernels: the pool passes a subarray of an alloc() view to WASM as (pointer, length).
    tasks.push([setup.pixels.subarray(start, start + length), WIDTH, row, maxIter, X0, Y0, STEP]);
  }
  return tasks;
}

/** Renders once; resolves with the time in ms. Exposed as window.demo.render for the tests. */
async function render({ kernel, workers, maxIter }) {
  document.body.dataset.state = 'rendering';
  $('render').disabled = true;
  $('progress').value = 0;
  $('time').textContent = 'starting workers…';
  try {
    const setup = await poolFor(kernel, workers);
    const tasks = bandArgs(setup, maxIter);
    $('time').textContent = 'rendering…';
    const started = performance.now();
    await setup.pool.starmap('mandelbrotRGBA', tasks, {
      chunksize: 1,
      onProgress: (done, total) => ($('progress').value = done / total),
    });
    const ms = performance.now() - started;
    // ImageData cannot wrap shared memory: copy the pixels out.
    context.putImageData(new ImageData(setup.pixels.slice(), WIDTH, HEIGHT), 0, 0);
    const label = kernel === 'wasm' ? 'WebAssembly' : 'JavaScript';
    $('time').textContent = `${label}, ${workers} worker${workers === 1 ? '' : 's'}: ${ms.toFixed(1)} ms`;
    $('results').tBodies[0].insertAdjacentHTML('afterbegin', `<tr><td>${label}</td><td>${workers}</td><td>${maxIter}</td><td>${ms.toFixed(1)} ms</td></tr>`);
    document.body.dataset.state = 'done';
    return ms;
  } catch (error) {
    $('time').textContent = `failed: ${error.message}`;
    document.body.dataset.state = 'failed';
    throw error;
  } finally {
    $('render').disabled = false;
  }
}

function chosen() {
  return {
    kernel: document.querySelector('input[name=kernel]:checked').value,
    workers: Number($('workers').value),
    maxIter: Number($('iterations').value),
  };
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  render(chosen()).catch((error) => console.error(error));
});

window.demo = { render };

if (!crossOriginIsolated) {
  $('warning').hidden = false;
  $('warning').textContent =
    'This page is not cross-origin isolated, so there is no SharedArrayBuffer for the workers to write the image into. ' +
    'Serve it with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` (npm run demo does).';
  $('render').disabled = true;
  document.body.dataset.state = 'unsupported';
} else {
  document.body.dataset.state = 'ready';
  render(chosen()).catch((error) => console.error(error));
}
