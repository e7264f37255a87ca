// The blur's plain-JavaScript side, shared by run.mjs (Node) and the browser test (imported by a page): the
// Gaussian weights, a seeded test image, and the same two passes as blur.ts, the same additions in the same order.

/** Gaussian weights for `sigma`, radius 3 sigma, normalized to sum 1. */
export function gaussianWeights(sigma) {
  const radius = Math.ceil(3 * sigma);
  const weights = Float64Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((a, b) => a + b, 0);
  for (let k = 0; k < weights.length; k++) weights[k] /= total;
  return weights;
}

/** A size × size test image: smooth gradients plus noise from a seeded xorshift, so every run blurs the same pixels. */
export function fillImage(image, size) {
  let state = 0x9e3779b9;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      image[y * size + x] = Math.sin(x / 37) * Math.cos(y / 53) + (state >>> 0) / 2 ** 32;
    }
  }
}

const clamp = (i, n) => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** Rows along x (src → tmp), then columns along y (tmp → dst), edges clamped: blur.ts's arithmetic exactly. */
export function blurJs(src, tmp, dst, width, height, w) {
  const taps = w.length;
  const r = taps >> 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) s += w[k] * src[row + clamp(x + k - r, width)];
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < taps; k++) s += w[k] * tmp[clamp(y + k - r, height) * width + x];
      dst[y * width + x] = s;
    }
  }
}

/** The image, its scratch and output, and the weights, in `pool`'s shared memory (no copies), the image filled. */
export function allocImage(pool, size, weights) {
  const src = pool.alloc(Float32Array, size * size);
  const tmp = pool.alloc(Float32Array, size * size);
  const dst = pool.alloc(Float32Array, size * size);
  const w = pool.alloc(Float64Array, weights.length);
  w.set(weights);
  fillImage(src, size);
  return { src, tmp, dst, w, size };
}

/** Splits both passes over `pool`'s workers with pool.parallel: bands of rows, then bands of columns. */
export async function blurOnPool(pool, { src, tmp, dst, w, size, parts }) {
  await pool.parallel('blurRows', {
    length: size,
    parts,
    args: (y0, y1) => [src.subarray(y0 * size, y1 * size), tmp.subarray(y0 * size, y1 * size), size, w],
  });
  // Columns in multiples of 16 (64 bytes): no two workers write the same cache line.
  await pool.parallel('blurCols', { length: size, parts, align: 16, args: (x0, x1) => [tmp, dst, size, x0, x1, w] });
}
