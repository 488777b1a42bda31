/**
 * The explain panel's text: the chain rule of the current playback step, with numbers.
 *
 * Everything is derived from the Graph JSON (op, operands, each update's local, delta and
 * running grad); the human formula of a local derivative comes from the op, e.g. for
 * `out = a * b` the local of a is `b.data`. Ops this table does not know fall back to
 * the formula text `GET /api/v1/ops` lists. Returns lines: {kind, text}.
 */
import { fmt } from './format.js';

// Forward formula and local derivative per operand, in terms of A, B (operand data refs) and O (result data ref).
const RULES = {
  add: { fwd: (A, B) => `${A} + ${B}`, local: [() => '1', () => '1'] },
  sub: { fwd: (A, B) => `${A} − ${B}`, local: [() => '1', () => '-1'] },
  mul: { fwd: (A, B) => `${A} × ${B}`, local: [(A, B) => B, (A) => A] },
  div: { fwd: (A, B) => `${A} / ${B}`, local: [(A, B) => `1 / ${B}`, (A, B) => `-${A} / ${B}²`] },
  pow: { fwd: (A, B) => `${A} ** ${B}`, local: [(A, B) => `${B} × ${A} ** (${B} − 1)`, (A, B, O) => `${O} × log(${A})`] },
  neg: { fwd: (A) => `−${A}`, local: [() => '-1'] },
  exp: { fwd: (A) => `exp(${A})`, local: [(A, B, O) => O] },
  log: { fwd: (A) => `log(${A})`, local: [(A) => `1 / ${A}`] },
  tanh: { fwd: (A) => `tanh(${A})`, local: [(A, B, O) => `(1 − ${O}²)`] },
  relu: { fwd: (A) => `relu(${A})`, local: [(A) => `[${A} > 0]`] },
  sigmoid: { fwd: (A) => `sigmoid(${A})`, local: [(A, B, O) => `${O} × (1 − ${O})`] },
};

/** Op descriptions from GET /api/v1/ops, by name, for ops without a rule above. */
let apiOps = new Map();
export function setOps(list) {
  apiOps = new Map((list || []).map((o) => [o.name, o]));
}

function roleNote(role) {
  if (role === 'param') return 'a parameter (leaf)';
  if (role === 'const') return 'a constant: takes no gradient';
  return 'an input (leaf)';
}

const p = (x) => `(${fmt(x)})`;

/** Short display number for constants: 2 rather than 2.0000. */
function shortNum(x) {
  return Number.isFinite(x) && Math.abs(x) < 1e6 ? String(Math.round(x * 1e6) / 1e6) : fmt(x);
}

export class Explainer {
  constructor(g) {
    this.g = g;
  }

  name(i) {
    const n = this.g.nodes[i];
    if (n.label) return n.label;
    if (n.role === 'const') return shortNum(this.g.data[i]);
    return n.id;
  }

  dataRef(i) {
    return this.g.nodes[i].role === 'const' ? shortNum(this.g.data[i]) : `${this.name(i)}.data`;
  }

  opName(i) {
    return this.g.nodes[i].op;
  }

  /** `e = a × b` for an op node (names), or null for leaves. */
  formula(i, refs = (j) => this.name(j)) {
    const node = this.g.nodes[i];
    if (!node.op) return null;
    const ops = this.g.operands[i].map(refs);
    const rule = RULES[node.op];
    if (rule) return rule.fwd(ops[0], ops[1]);
    const api = apiOps.get(node.op);
    const f = api?.formula || `${node.symbol || node.op}(${ops.join(', ')})`;
    return f.replace(/\b[ab]\b/g, (m) => (m === 'a' ? ops[0] : ops[1]));
  }

  /** Human local derivative of op node i with respect to operand slot s. */
  local(i, s) {
    const node = this.g.nodes[i];
    const [a, b] = this.g.operands[i];
    const A = this.dataRef(a);
    const B = b === undefined ? '' : this.dataRef(b);
    const O = `${this.name(i)}.data`;
    const rule = RULES[node.op];
    if (rule) return rule.local[s](A, B, O);
    const api = apiOps.get(node.op);
    const lf = api?.local_derivatives?.[s === 0 ? "a" : "b"] ?? api?.local_formulas?.[s];
    if (lf) return String(lf).replace(/\b[ab]\b/g, (m) => (m === 'a' ? A : B));
    return `∂${this.name(i)}/∂${this.name(s === 0 ? a : b)}`;
  }

  /** Lines for the player's current position. */
  lines(player) {
    const g = this.g;
    const c = player.current();
    if (c.phase === 'start') {
      return [
        { kind: 'head', text: 'Ready. Press → (or Next) to run the forward pass one node at a time.' },
        { kind: 'note', text: `${player.F} values to compute, then ${player.B} backward steps (step 0 seeds the output grad).` },
      ];
    }
    if (c.phase === 'forward') return this.forwardLines(player, c.node);
    return this.backwardLines(player, c);
  }

  forwardLines(player, i) {
    const g = this.g;
    const node = g.nodes[i];
    const out = [];
    if (!node.op) {
      out.push({ kind: 'head', text: `forward: ${this.name(i)} = ${fmt(g.data[i])}   — ${roleNote(node.role)}` });
    } else {
      const numeric = this.formula(i, (j) => p(g.data[j]));
      out.push({ kind: 'head', text: `forward: ${this.name(i)} = ${this.formula(i)}` });
      out.push({ kind: 'rule', text: `${this.name(i)} = ${numeric} = ${fmt(g.data[i])}` });
    }
    if (player.pos === player.F) {
      out.push({ kind: 'note', text: 'Forward pass done. Press → to start the backward pass: step 0 sets the output grad to 1.' });
    }
    return out;
  }

  backwardLines(player, c) {
    const g = this.g;
    const i = c.node;
    const out = [];
    if (c.step === 0) {
      out.push({ kind: 'head', text: `backward step 0: seed the output — ${this.name(i)}.grad = 1  (∂${this.name(i)}/∂${this.name(i)} = 1)` });
      out.push({ kind: 'rule', text: `${this.name(i)}.grad = 1.0000` });
      return out;
    }
    const O = this.name(i);
    const ogradVal = player.grad[i]; // final by now: every consumer of i ran before i
    out.push({ kind: 'head', text: `backward step ${c.step}: ${O} = ${this.formula(i)}   — chain rule: operand.grad += (∂${O}/∂operand) × ${O}.grad` });
    // Match updates to operand slots in order (constant operands receive no update).
    const ops = g.operands[i];
    let slot = 0;
    for (let u = c.from; u < c.to; u++) {
      const j = g.uNode[u];
      while (slot < ops.length && ops[slot] !== j) {
        if (g.nodes[ops[slot]].role === 'const') out.push({ kind: 'note', text: `${this.name(ops[slot])} is a constant: no gradient flows into it` });
        slot++;
      }
      const s = slot < ops.length ? slot : 0;
      slot++;
      const tgt = this.name(j);
      out.push({
        kind: 'rule',
        text: `${tgt}.grad += ${this.local(i, s)} × ${O}.grad = ${p(g.uLocal[u])} × ${p(ogradVal)} = ${fmt(g.uDelta[u])}`,
      });
      const total = g.contribCount[j];
      if (total > 1) out.push({ kind: 'sum', text: this.runningSum(u, j, total) });
    }
    for (; slot < ops.length; slot++) {
      if (g.nodes[ops[slot]].role === 'const') out.push({ kind: 'note', text: `${this.name(ops[slot])} is a constant: no gradient flows into it` });
    }
    return out;
  }

  /** `a.grad = 6.0000 + 6.0000 = 12.0000   (contribution 2 of 2)`: += made visible where a value fans out. */
  runningSum(u, j, total) {
    const g = this.g;
    const nth = g.uNth[u];
    const name = this.name(j);
    const more = nth < total ? ` — ${total - nth} more to come` : ' — all paths summed';
    if (nth === 1) return `   ${name} feeds ${total} places: ${name}.grad = ${fmt(g.uGrad[u])}   (contribution 1 of ${total}${more})`;
    const terms = [];
    if (nth <= 5) {
      for (let v = 0; v <= u; v++) if (g.uNode[v] === j) terms.push(fmt(g.uDelta[v]));
    } else {
      terms.push(fmt(g.uPrev[u]), fmt(g.uDelta[u]));
    }
    const sum = terms.map((t, k) => (k && t.startsWith('-') ? `(${t})` : t)).join(' + ');
    return `   ${name}.grad = ${sum} = ${fmt(g.uGrad[u])}   (contribution ${nth} of ${total}${more})`;
  }

  /** Inspector card content for node i at the player's position. */
  inspect(player, i) {
    const g = this.g;
    const node = g.nodes[i];
    const rows = [];
    rows.push(['node', `${this.name(i)}  (${node.id})`]);
    rows.push(['kind', node.op ? `op result: ${this.formula(i)}` : roleNote(node.role)]);
    rows.push(['data', player.isRevealed(i) ? fmt(g.data[i]) : 'not computed yet']);
    rows.push(['grad', fmt(player.grad[i]) + (player.isReached(i) ? '' : '  (not reached yet)')]);
    if (node.op) {
      g.operands[i].forEach((j, s) => rows.push([`∂/∂${this.name(j)}`, this.local(i, s)]));
    }
    const feeds = [...new Set(g.consumers[i])].map((t) => this.name(t));
    rows.push(['feeds', feeds.length ? feeds.join(', ') : '— (output)']);
    if (node.group) rows.push(['group', node.group]);
    return rows;
  }
}
