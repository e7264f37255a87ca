// Repetition and summary statistics. Every figure the bench reports is a
// min/median/max over repetitions that ran after a warm-up, never one sample.

export function median(values) {
  return quantile(values, 0.5);
}

/** Nearest-rank quantile (p in [0, 1]) of an unsorted list. */
export function quantile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(samples) {
  return { min: Math.min(...samples), median: median(samples), max: Math.max(...samples), reps: samples.length };
}

/**
 * Runs `contenders` (name → async () => sample) for `reps` rounds after
 * `warmup` rounds, interleaved: round 1 of every contender, then round 2...
 * Interleaving spreads a burst of load from other processes over all
 * contenders instead of penalising whichever ran during it, which keeps
 * ratios from one run honest on a shared machine.
 */
export async function interleave(contenders, { warmup, reps, progress, label }) {
  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = -warmup; round < reps; round++) {
    for (const name of names) {
      progress?.(`${label}: ${name} ${round < 0 ? 'warm-up' : `rep ${round + 1}/${reps}`}`);
      const sample = await contenders[name]();
      if (round >= 0) samples[name].push(sample);
    }
  }
  return samples;
}

/**
 * Ratio of two summaries, `a / b`, with the widest range the repetitions
 * allow (a's best over b's worst to a's worst over b's best), so a ratio is
 * never reported tighter than its inputs justify.
 */
export function ratio(a, b) {
  return { median: a.median / b.median, min: a.min / b.max, max: a.max / b.min };
}
