/** Python's Pool.map default: about four chunks per worker. */
export function defaultChunksize(items: number, workers: number): number {
  if (items === 0) return 1;
  return Math.ceil(items / (4 * workers));
}

/**
 * Splits the items of a map into units. When every item is a plain number (the common numeric case), the
 * chunks are Float64Arrays: cloned as one block of memory instead of element by element, which is most of
 * a large map's dispatch cost.
 */
export function splitIntoChunks(items: readonly unknown[], chunksize: number): Array<unknown[] | Float64Array> {
  let numeric = true;
  for (let i = 0; numeric && i < items.length; i++) numeric = typeof items[i] === 'number';
  const chunks: Array<unknown[] | Float64Array> = [];
  for (let start = 0; start < items.length; start += chunksize) {
    const end = Math.min(start + chunksize, items.length);
    if (numeric) {
      const chunk = new Float64Array(end - start);
      for (let i = start; i < end; i++) chunk[i - start] = items[i] as number;
      chunks.push(chunk);
    } else {
      chunks.push(start === 0 && end === items.length ? (items as unknown[]) : items.slice(start, end));
    }
  }
  return chunks;
}
