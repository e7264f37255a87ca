// Render a 4096×4096 Mandelbrot image by row bands on every core, into one shared image, and
// write it as a PGM file (any image viewer opens it). Each worker writes its band in place.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { Pool } from 'wasmpool';

const size = Number(process.argv[2] ?? 4096);
const maxIter = 256;
const pool = new Pool();
const image = pool.alloc(Uint32Array, size * size); // iteration counts, row-major

const start = performance.now();
await pool.parallel('mandelbrot', {
  length: size, // rows
  parts: pool.workers * 8, // rows inside the set cost more: small bands balance the load
  args: (y0, y1) => [image.subarray(y0 * size, y1 * size), size, y0, maxIter, -2.2, -1.5, 3 / size],
});
console.log(`${size}×${size} pixels, ${maxIter} iterations max, on ${pool.workers} workers: ${(performance.now() - start).toFixed(0)} ms`);

const pixels = new Uint8Array(size * size);
for (let i = 0; i < pixels.length; i++) pixels[i] = image[i] >= maxIter ? 0 : 255 - image[i];
const file = process.argv[3] ?? 'mandelbrot.pgm';
writeFileSync(file, Buffer.concat([Buffer.from(`P5 ${size} ${size} 255\n`), pixels]));
console.log(`wrote ${file}`);
pool.free(image);
await pool.terminate();
