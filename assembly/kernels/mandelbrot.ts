// Mandelbrot set over a band of image rows, pointer-only (see vector.ts).
//
// Pixel (px, py) is the point c = (x0 + px*step, y0 + py*step); py counts from the top of the whole
// image, so a band starting at row `rowStart` is computed by any worker independently. The output
// view holds whole rows of that band: its length / width (or / 4*width for RGBA) is the row count.
// Two pixels go through the escape loop together in one f64x2; every lane performs exactly the
// scalar loop's operations in the same order, so the counts equal the JS twin's.

// @ts-ignore: decorator
@inline
function escapeCount(cr: f64, ci: f64, maxIter: i32): i32 {
  let zr: f64 = 0;
  let zi: f64 = 0;
  let n = 0;
  while (n < maxIter) {
    const zr2 = zr * zr;
    const zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) break;
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    n++;
  }
  return n;
}

/** Escape counts of two horizontally adjacent pixels; lane 0 in the low 32 bits. */
// @ts-ignore: decorator
@inline
function escapeCount2(cr: v128, ci: v128, maxIter: i32): v128 {
  const four = f64x2.splat(4.0);
  const two = f64x2.splat(2.0);
  let zr = f64x2.splat(0);
  let zi = f64x2.splat(0);
  let counts = i64x2.splat(0);
  let active = i64x2.splat(-1);
  for (let n = 0; n < maxIter; n++) {
    const zr2 = f64x2.mul(zr, zr);
    const zi2 = f64x2.mul(zi, zi);
    // not(mag > 4) rather than mag <= 4: identical to the scalar test when mag is NaN.
    active = v128.and(active, v128.not(f64x2.gt(f64x2.add(zr2, zi2), four)));
    if (!v128.any_true(active)) break;
    counts = i64x2.sub(counts, active); // active lanes are -1
    zi = f64x2.add(f64x2.mul(f64x2.mul(two, zr), zi), ci);
    zr = f64x2.add(f64x2.sub(zr2, zi2), cr);
  }
  return counts;
}

/** Iteration counts (maxIter for points that never escape) into a Uint32Array of whole rows. */
export function mandelbrot(out: usize, len: i32, width: i32, rowStart: i32, maxIter: i32, x0: f64, y0: f64, step: f64): void {
  assert(width > 0, "mandelbrot: width must be positive");
  assert(len % width == 0, "mandelbrot: the output length must be a multiple of width");
  const rows = len / width;
  const pairEnd = width & ~1;
  for (let r = 0; r < rows; r++) {
    const ci = y0 + <f64>(rowStart + r) * step;
    const vci = f64x2.splat(ci);
    const row = out + ((<usize>r * <usize>width) << 2);
    let px = 0;
    for (; px < pairEnd; px += 2) {
      const cr = f64x2.replace_lane(f64x2.splat(x0 + <f64>px * step), 1, x0 + <f64>(px + 1) * step);
      const counts = escapeCount2(cr, vci, maxIter);
      store<u32>(row + (<usize>px << 2), <u32>i64x2.extract_lane(counts, 0));
      store<u32>(row + (<usize>px << 2), <u32>i64x2.extract_lane(counts, 1), 4);
    }
    if (px < width) store<u32>(row + (<usize>px << 2), escapeCount(x0 + <f64>px * step, ci, maxIter));
  }
}

/** RGBA colours (4 bytes a pixel, for a Uint8ClampedArray / ImageData) of whole rows. */
export function mandelbrotRGBA(out: usize, len: i32, width: i32, rowStart: i32, maxIter: i32, x0: f64, y0: f64, step: f64): void {
  assert(width > 0, "mandelbrotRGBA: width must be positive");
  assert(len % (width * 4) == 0, "mandelbrotRGBA: the output length must be a multiple of 4*width");
  const rows = len / (width * 4);
  for (let r = 0; r < rows; r++) {
    const ci = y0 + <f64>(rowStart + r) * step;
    const row = out + <usize>r * <usize>width * 4;
    const vci = f64x2.splat(ci);
    const pairEnd = width & ~1;
    let px = 0;
    for (; px < pairEnd; px += 2) {
      const cr = f64x2.replace_lane(f64x2.splat(x0 + <f64>px * step), 1, x0 + <f64>(px + 1) * step);
      const counts = escapeCount2(cr, vci, maxIter);
      store<u32>(row + (<usize>px << 2), colour(<i32>i64x2.extract_lane(counts, 0), maxIter));
      store<u32>(row + (<usize>px << 2), colour(<i32>i64x2.extract_lane(counts, 1), maxIter), 4);
    }
    if (px < width) store<u32>(row + (<usize>px << 2), colour(escapeCount(x0 + <f64>px * step, ci, maxIter), maxIter));
  }
}

/** A smooth blue-orange palette; points inside the set are black. Same formula as the JS twin. */
// @ts-ignore: decorator
@inline
function colour(n: i32, maxIter: i32): u32 {
  if (n >= maxIter) return 0xff000000;
  const t = <f64>n / <f64>maxIter;
  const u = 1.0 - t;
  const red = <u32>(<i32>(9.0 * u * t * t * t * 255.0));
  const green = <u32>(<i32>(15.0 * u * u * t * t * 255.0));
  const blue = <u32>(<i32>(8.5 * u * u * u * t * 255.0));
  // Little-endian: the byte order in memory is R, G, B, A.
  return red | (green << 8) | (blue << 16) | 0xff000000;
}
