/**
 * What the page calls each node, in the panel, the inspector and the boxes alike: its
 * label; a constant, its value; an unnamed result, its expression in its operands' names
 * as the op table writes it (`2 × n`, `(e − 1) / (e + 1)`, `a + b + c`, `sum of 40`).
 * Bounded: an unnamed operand shows one level deep, then `…`, so no name grows with the graph.
 */
import { shortNum } from './format.js';
import { fill, isCompound, opInfo } from './ops.js';

const MAX = 28; // characters: a longer expression folds its unnamed operands to `…`

/** The name of node i of indexed graph g (memoised on g). */
export function nodeName(g, i) {
  const names = g.names || (g.names = new Array(g.n));
  if (names[i] === undefined) names[i] = compute(g, i);
  return names[i];
}

/** The name as a formula's subject: bracketed when compound, so `(e − 1).grad` reads right. */
export function nodeRef(g, i) {
  const name = nodeName(g, i);
  return isCompound(name) ? `(${name})` : name;
}

/** Whether node i's name is its own (a label, a constant), not a derived expression. */
export function isNamed(g, i) {
  const node = g.nodes[i];
  return Boolean(node.label) || !node.op;
}

function leafText(g, j) {
  const node = g.nodes[j];
  if (node.label) return node.label;
  if (!node.op) return shortNum(g.data[j]); // a constant, or an input made without a label: its value
  return null;
}

function expression(g, i, text) {
  const node = g.nodes[i];
  const [a, b] = g.operands[i];
  const subs = { a: text(a), b: b === undefined ? undefined : text(b) };
  const op = opInfo(node.op);
  if (!op) return `${node.symbol || node.op}(${[subs.a, subs.b].filter((t) => t != null).join(', ')})`;
  return fill(op.display, subs, { names: true });
}

/** A left-leaning chain of unnamed additions (what `sum(...)` builds): its terms, in order. */
function sumTerms(g, i) {
  const terms = [];
  let k = i;
  while (g.nodes[k].op === 'add' && (k === i || !g.nodes[k].label)) {
    terms.push(g.operands[k][1]);
    k = g.operands[k][0];
  }
  terms.push(k);
  return terms.reverse();
}

function compute(g, i) {
  const own = leafText(g, i);
  if (own !== null) return own;
  if (g.nodes[i].op === 'add') {
    const terms = sumTerms(g, i);
    if (terms.length > 2) {
      const text = terms.map((j) => leafText(g, j) ?? '…').join(' + ');
      return text.length <= MAX && !text.includes('…') ? text : `sum of ${terms.length}`;
    }
  }
  const deep = expression(g, i, (j) => leafText(g, j) ?? expression(g, j, (k) => leafText(g, k) ?? '…'));
  if (deep.length <= MAX) return deep;
  return expression(g, i, (j) => leafText(g, j) ?? '…');
}
