/**
 * The op table of `GET /api/v1/ops`, by name: the one source of every formula the page
 * shows. Each op's `display` template writes its result (`{a} × {b}`, `tanh({a})`) and
 * `display_local` one local derivative per operand (`{b}`, `(1 − {out}²)`).
 */

let table = new Map();

export function setOps(list) {
  table = new Map((list || []).map((o) => [o.name, o]));
}

/** The op's table entry, or undefined while the table is missing (callers show the op plainly). */
export function opInfo(name) {
  return table.get(name);
}

/** A name or number that needs brackets inside a formula: `x1*w1 + x2*w2`, `e − 1`, `-2.0000`. */
/** True when one pair of brackets holds all of `text`: "(a + b)", not "(a) + (b)". */
function wrapped(text) {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '(') depth++;
    else if (text[k] === ')' && --depth === 0 && k < text.length - 1) return false;
  }
  return true;
}

export const isCompound = (text) => /[\s+*/×−]|^-/.test(text) && !wrapped(text);

/**
 * Fill a display template: `{a}`, `{b}` with the operands' texts, `{out}` with the result's.
 * With `numbers`, every text gets brackets; with `names`, compound ones do (`(e − 1) / (e + 1)`);
 * never where the template already brackets them (`sqrt({a})` reads sqrt(2.0000), not sqrt((2.0000))).
 */
export function fill(template, subs, { numbers = false, names = false } = {}) {
  return template.replace(/\{(a|b|out)\}/g, (m, key, at) => {
    const text = subs[key] ?? m;
    if (!numbers && !(names && isCompound(text))) return text;
    const before = template.slice(Math.max(0, at - 2), at);
    const after = template[at + m.length];
    const bracketed = (before.endsWith('(') || before === ', ') && (after === ')' || after === ',');
    return bracketed ? text : `(${text})`;
  });
}
