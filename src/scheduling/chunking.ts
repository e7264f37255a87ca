/** Python's Pool.map default: about four chunks per worker. */
export function defaultChunksize(items: number, workers: number): number {
  if (items === 0) return 1;
  return Math.ceil(items / (4 * workers));
}

export function splitIntoChunks<T>(items: T[], chunksize: number): T[][] {
  if (chunksize >= items.length) return [items];
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += chunksize) chunks.push(items.slice(start, start + chunksize));
  return chunks;
}
