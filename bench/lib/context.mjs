// What every question file gets from the runner: settings for the mode, a
// progress line, and places to record figures, targets and notes.
import { ratio, summarize } from './stats.mjs';

export function createContext({ quick }) {
  const figures = [];
  const targets = [];
  const notes = [];
  let section = '';
  const isTty = process.stderr.isTTY;

  return {
    quick,
    /** Repetitions after warm-up: at least 5 in every mode. */
    reps: quick ? 5 : 7,
    warmup: 1,
    figures,
    targets,
    notes,

    begin(name) {
      section = name;
      progressLine(`${name}: starting`);
    },

    progress(message) {
      progressLine(`${section} | ${message}`);
    },

    /** Records a figure from raw samples (or an existing summary) and returns its summary. */
    figure(id, label, unit, samplesOrSummary, extra = {}) {
      const summary = Array.isArray(samplesOrSummary) ? summarize(samplesOrSummary) : samplesOrSummary;
      const entry = { id, section, label, unit, ...summary, ...extra };
      figures.push(entry);
      return entry;
    },

    /**
     * Records a target. `value` is a {min, median, max} figure in the
     * target's own unit (usually a ratio); `goal` is {op: '>=' | '<=', value}.
     * Pass status 'not built' or 'skipped' with a reason instead of a value
     * when the thing measured does not exist yet.
     */
    target(id, label, goal, value, detail, status) {
      const met = value ? (goal.op === '>=' ? value.median >= goal.value : value.median <= goal.value) : undefined;
      targets.push({ id, section, label, goal, value, detail, status: status ?? (met ? 'met' : 'missed') });
    },

    note(text) {
      notes.push(`${section}: ${text}`);
      progressLine(`note: ${text}`);
    },

    ratio,
  };

  function progressLine(text) {
    if (isTty) process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns || 120) - 1)}`);
    else process.stderr.write(`${text}\n`);
  }
}

export function endProgress() {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}
