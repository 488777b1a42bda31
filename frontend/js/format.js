/**
 * Number formatting for everything the page prints: node records, box summaries, the
 * explain panel and the inspector. One place, so a value reads the same everywhere.
 */

/**
 * Python's "%.4f", as draw_dot prints values (nan, inf, -0.0000 included), except that a
 * non-zero value never reads 0.0000: below 0.00005 it gets 3 significant digits
 * (tanh(10)'s grad is 8.24e-9, the lesson of that example, not nothing).
 */
export function fmt(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0000';
  if (x !== 0 && Math.abs(x) < 0.00005) return x.toExponential(2);
  return x.toFixed(4);
}

/** A magnitude that may be tiny: 4 decimals, or 3 significant digits below 0.001 (never a false 0.0000). */
export function fmtSmall(x) {
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : fmt(x);
}

/** A constant as the student wrote it: 2 rather than 2.0000. */
export function shortNum(x) {
  return Number.isFinite(x) && Math.abs(x) < 1e6 ? String(Math.round(x * 1e6) / 1e6) : fmt(x);
}

/** Every digit a double has (the shortest text that reads back as the same number), as Python's repr. */
export function full(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
}
