/**
 * The explain panel's text: the chain rule of the current playback step, with numbers.
 *
 * Everything is derived from the Graph JSON (op, operands, each update's local, delta and
 * running grad) and the op table of `GET /api/v1/ops`: each op's `display` template gives
 * the forward formula (`{a} × {b}`) and `display_local` one local derivative per operand
 * (`{b}`, `{a}`), so the formula shown is the one the engine computes and cannot drift.
 * Returns lines: {kind, text}.
 */
import { fmt, full, shortNum } from './format.js';
import { isNamed, nodeName, nodeRef } from './names.js';
import { fill, opInfo } from './ops.js';

function roleNote(role) {
  if (role === 'param') return 'a parameter (leaf)';
  if (role === 'const') return 'a constant: takes no gradient';
  return 'an input (leaf)';
}

const p = (x) => `(${fmt(x)})`;

/** A local that is one value or a constant: the rule line's number already spells it out. */
const isTrivial = (template) => /^(\{(a|b|out)\}|-?\d+)$/.test(template);

export class Explainer {
  constructor(g) {
    this.g = g;
  }

  /** What the page calls node i (names.js): a label, a constant's value, or an expression. */
  name(i) {
    return nodeName(this.g, i);
  }

  /** The name as the subject of `.grad` / `.data`: bracketed when it is an expression. */
  ref(i) {
    return nodeRef(this.g, i);
  }

  dataRef(i) {
    return this.g.nodes[i].role === 'const' ? shortNum(this.g.data[i]) : `${this.ref(i)}.data`;
  }

  /** `e = a × b` for a named node; an unnamed one is its own formula, said once. */
  defines(i) {
    return isNamed(this.g, i) ? `${this.name(i)} = ${this.formula(i)}` : this.name(i);
  }

  /** The texts that fill node i's templates: its operands' as `a`, `b`, its own as `out`. */
  subs(i, ref) {
    const [a, b] = this.g.operands[i];
    return { a: ref(a), b: b === undefined ? undefined : ref(b), out: ref(i) };
  }

  /** `a × b` for an op node (names, or `ref` of each operand), or null for leaves. */
  formula(i, ref = (j) => this.name(j), opts = { names: true }) {
    const node = this.g.nodes[i];
    if (!node.op) return null;
    const op = opInfo(node.op);
    if (!op) return `${node.symbol || node.op}(${this.g.operands[i].map(ref).join(', ')})`;
    return fill(op.display, this.subs(i, ref), opts);
  }

  /** The local derivative of op node i with respect to operand slot s, e.g. `b.data` for `a × b`. */
  local(i, s, ref = (j) => this.dataRef(j), opts = {}) {
    const template = opInfo(this.g.nodes[i].op)?.display_local?.[s];
    if (template == null) return `∂${this.ref(i)}/∂${this.ref(this.g.operands[i][s])}`;
    return fill(template, this.subs(i, ref), opts);
  }

  /** `∂o/∂n = (1 − o.data²) = (1 − (0.7071)²)`: the local with numbers, where it is more than one value. */
  localLine(i, s, value) {
    const template = opInfo(this.g.nodes[i].op)?.display_local?.[s];
    if (template == null || isTrivial(template)) return null;
    const numbers = this.local(i, s, (j) => fmt(this.g.data[j]), { numbers: true });
    const d = `∂${this.ref(i)}/∂${this.ref(this.g.operands[i][s])}`;
    return { kind: 'local', text: `   ${d} = ${this.local(i, s)} = ${numbers} = ${fmt(value)}` };
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
      const numeric = this.formula(i, (j) => fmt(g.data[j]), { numbers: true });
      out.push({ kind: 'head', text: `forward: ${this.defines(i)}` });
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
      out.push({ kind: 'head', text: `backward step 0: seed the output — ${this.ref(i)}.grad = 1  (∂${this.ref(i)}/∂${this.ref(i)} = 1)` });
      out.push({ kind: 'rule', text: `${this.ref(i)}.grad = 1.0000` });
      return out;
    }
    if (g.graph.engine === 'program') return this.programLines(player, c);
    const O = this.ref(i);
    const ogradVal = player.grad[i]; // final by now: every consumer of i ran before i
    out.push({ kind: 'head', text: `backward step ${c.step}: ${this.defines(i)}   — chain rule: operand.grad += (∂${O}/∂operand) × ${O}.grad` });
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
      const tgt = this.ref(j);
      const local = this.localLine(i, s, g.uLocal[u]);
      if (local) out.push(local);
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

  /**
   * A backward step of a Python program's own engine: what its `_backward()` closure changed
   * (each grad's delta, and local = delta / out.grad), beside gradwalk's rule where the op
   * table knows the op, and the checks that failed at the operands.
   */
  programLines(player, c) {
    const g = this.g;
    const i = c.node;
    const O = this.ref(i);
    const og = player.grad[i];
    const op = opInfo(g.nodes[i].op);
    const what = op ? this.defines(i) : `${this.name(i)} (_op '${g.nodes[i].symbol || '?'}', not in gradwalk's op table)`;
    const out = [{ kind: 'head', text: `backward step ${c.step}: ${O}._backward() — your closure for ${what}` }];
    const ops = g.operands[i];
    if (c.from === c.to) {
      out.push({ kind: 'bad', text: `   your closure changed no grad${ops.length ? '' : ' (a leaf: nothing to pass on)'}` });
    }
    for (let u = c.from; u < c.to; u++) {
      const j = g.uNode[u];
      const local = og !== 0 ? ` — local = delta / ${O}.grad = ${fmt(g.uDelta[u])} / ${fmt(og)} = ${fmt(g.uLocal[u])}` : '';
      out.push({ kind: 'rule', text: `${this.ref(j)}.grad += ${fmt(g.uDelta[u])}  → ${fmt(g.uGrad[u])}${local}` });
      if (!ops.includes(j)) out.push({ kind: 'bad', text: `   ${this.name(j)} is not an operand of ${this.name(i)}: its grad should not change here` });
    }
    // gradwalk's rule for each operand, to set beside what the closure did
    if (op && ops.length) {
      ops.forEach((j, s) => {
        if (g.nodes[j].role === 'const') return;
        const numbers = this.local(i, s, (k) => fmt(g.data[k]), { numbers: true });
        out.push({ kind: 'note', text: `   gradwalk: ${this.ref(j)}.grad += ${this.local(i, s)} × ${O}.grad = ${numbers} × ${p(og)}` });
      });
    }
    // the operands whose final grad is wrong: the first one's cause in full, the others in short
    let said = false;
    for (const j of new Set(ops)) {
      for (const chk of g.checks.get(j) || []) {
        if (chk.field !== 'grad') continue;
        const short = `✗ ${this.ref(j)}.grad ends at ${fmt(chk.program)}; the chain rule gives ${fmt(chk.reference)}`;
        out.push({ kind: 'bad', text: said ? short : `${short}: ${chk.msg.replace(/^[^:]*: [^:]*: /, '')}` });
        said = true;
      }
    }
    return out;
  }

  /** `a.grad = 6.0000 + 6.0000 = 12.0000   (contribution 2 of 2)`: += made visible where a value fans out. */
  runningSum(u, j, total) {
    const g = this.g;
    const nth = g.uNth[u];
    const name = this.ref(j);
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

  /**
   * The end of the backward pass: every leaf that takes a gradient, largest |grad| first
   * (where to look for a vanishing or exploding one). [{i, name, grad}]
   */
  leafSummary(player) {
    const g = this.g;
    const out = [];
    for (let i = 0; i < g.n; i++) {
      const node = g.nodes[i];
      if (!node.op && node.role !== 'const') out.push({ i, name: this.name(i), grad: player.grad[i] });
    }
    return out.sort((x, y) => Math.abs(y.grad) - Math.abs(x.grad) || x.i - y.i);
  }

  /** Inspector card content for node i at the player's position. */
  inspect(player, i) {
    const g = this.g;
    const node = g.nodes[i];
    const rows = [];
    rows.push(['node', `${this.name(i)}  (${node.id})`]);
    rows.push(['kind', node.op ? `op result: ${this.formula(i)}` : roleNote(node.role)]);
    rows.push(['data', player.isRevealed(i) ? `${fmt(g.data[i])}   = ${full(g.data[i])}` : 'not computed yet']);
    const gr = player.grad[i];
    rows.push(['grad', `${fmt(gr)}${gr !== 0 ? `   = ${full(gr)}` : ''}${player.isReached(i) ? '' : '  (not reached yet)'}`]);
    if (node.op) {
      g.operands[i].forEach((j, s) => rows.push([`∂/∂${this.name(j)}`, this.local(i, s)]));
    }
    for (const chk of g.checks.get(i) || []) {
      rows.push([`✗ ${chk.field}`, `your engine: ${fmt(chk.program)}   gradwalk's chain rule: ${fmt(chk.reference)}`]);
      rows.push(['why', chk.msg]);
    }
    const feeds = [...new Set(g.consumers[i])].map((t) => this.name(t));
    rows.push(['feeds', feeds.length ? feeds.join(', ') : '— (output)']);
    if (node.group) rows.push(['group', node.group]);
    return rows;
  }
}
