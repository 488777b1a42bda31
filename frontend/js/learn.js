/**
 * Learn by doing: predict each value before it is revealed (with a diagnosis of the usual
 * mistakes), nudge a leaf and compare the measured slope with its grad, list the paths from
 * a node to the output, and check every grad against finite differences. The numbers come
 * from the Graph JSON and from POST /api/v1/expression with `overrides`, `paths` and
 * `finite_differences` (docs/api.md, Expression).
 */
import * as api from './api.js';
import { fmt, full } from './format.js';

const $ = (sel) => document.querySelector(sel);
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

/** The stated tolerance: within 0.001, or 0.1 % of a large value. */
export const tolerance = (x) => Math.max(1e-3, 1e-3 * Math.abs(x));
const near = (a, b) => Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= tolerance(b);

const WORKED = 2; // the first steps of each pass are shown worked; later ones are asked

/**
 * What the learner most likely did, for an answer `ans` to update u of backward step k
 * (operand's new grad): a message naming the mistake, or null.
 */
export function diagnose(g, k, u, ans) {
  const i = g.stepNode[k];
  const local = g.uLocal[u];
  const delta = g.uDelta[u];
  const prev = g.uPrev[u];
  const want = g.uGrad[u];
  const og = g.finalGrad[i]; // complete by the time i's rule runs: every consumer ran before it
  const od = g.data[i];
  const op = g.nodes[i].op;
  if (near(ans, want)) return null;
  // (with out.grad = 1 the local derivative and the contribution are one number: no such mistake)
  if (!near(local, delta) && !near(local, want) && (near(ans, local) || (prev !== 0 && near(ans, prev + local)))) {
    return `You gave the local derivative alone (${fmt(local)}): forgot × out.grad. The chain rule multiplies it by the upstream grad, ${fmt(og)}.`;
  }
  if (prev !== 0 && near(ans, delta)) {
    return `That is this path's contribution (${fmt(delta)}), but the operand already held ${fmt(prev)} from another path: forgot += at a fan-out.`;
  }
  if (op === 'tanh' && near(ans, prev + od * og)) {
    return `You used tanh itself (${fmt(od)}) as the local derivative: the derivative of tanh is 1 − tanh² = ${fmt(1 - od * od)}.`;
  }
  if (!near(od, og) && near(ans, prev + local * od)) {
    return `You multiplied by out.data (${fmt(od)}): the chain rule multiplies by out.grad, ${fmt(og)}.`;
  }
  if (want !== 0 && (near(ans, -want) || near(ans, prev - delta))) {
    return `Check the sign: ${op === 'sub' || op === 'neg' ? 'the derivative of −x is −1' : 'the local derivative here is ' + fmt(local)}.`;
  }
  return null;
}

export class Predictor {
  /** @param {{playback, explainer: () => any, onScore?: () => void}} deps */
  constructor({ playback, getExplainer }) {
    Object.assign(this, { playback, getExplainer });
    this.toggle = tid('predict');
    this.panel = $('#predict-panel');
    this.prompt = $('#predict-prompt');
    this.input = tid('predict-answer');
    this.feedback = tid('predict-feedback');
    this.score = tid('predict-score');
    this.askAll = $('#predict-all');
    this.askAll.addEventListener('change', () => { if (!this.asking) this.idle(); });
    this.toggle.addEventListener('change', () => this.setOn(this.toggle.checked));
    tid('predict-check').addEventListener('click', () => this.check());
    $('#predict-show').addEventListener('click', () => this.reveal(false));
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); this.check(); }
      if (ev.key === 'Escape') { ev.preventDefault(); this.input.blur(); }
    });
    this.reset(null);
  }

  /** A new graph: nothing answered, the score at zero. */
  reset(g) {
    this.g = g;
    this.answered = new Set(); // positions revealed by an answer (or shown)
    this.right = 0;
    this.tries = 0;
    this.asking = null;
    this.idle();
    this.showScore();
  }

  /** Predict mode with no question standing: say what → will do. */
  idle(message = '') {
    this.panel.hidden = !this.on;
    this.panel.classList.remove('asking');
    this.prompt.textContent = `Predict mode: → asks you for each value before it is revealed${this.askAll.checked ? '' : ' (the first steps of each pass are shown worked)'}.`;
    this.feedback.textContent = message;
  }

  setOn(on) {
    this.on = on;
    this.toggle.checked = on;
    document.body.classList.toggle('predicting', on);
    this.playback.gate = on ? (pos) => this.gate(pos) : null;
    this.asking = null;
    this.idle();
    this.showScore();
  }

  /** The questions position `pos` asks: [{u | node, want}], empty when it is shown worked. */
  questions(pos) {
    const g = this.g;
    const F = g.forward.length;
    if (pos <= 0 || pos > F + g.stepNode.length) return [];
    if (pos <= F) {
      const i = g.forward[pos - 1];
      if (!g.nodes[i].op) return []; // a leaf's data is given
      let nth = 0; // which op node of the forward pass this is
      for (let p = 1; p < pos; p++) if (g.nodes[g.forward[p - 1]].op) nth++;
      if (nth < WORKED && !this.askAll.checked) return [];
      return [{ phase: 'forward', node: i, want: g.data[i] }];
    }
    const k = pos - F - 1;
    if (k === 0 || (k - 1 < WORKED && !this.askAll.checked)) return []; // the seed, then the worked steps
    const out = [];
    for (let u = g.stepStart[k]; u < g.stepStart[k + 1]; u++) out.push({ phase: 'backward', k, u, node: g.uNode[u], want: g.uGrad[u] });
    return out;
  }

  /** Playback asks before moving to `pos`: false while a question stands in the way. */
  gate(pos) {
    if (!this.g || this.answered.has(pos)) return true;
    const qs = this.questions(pos);
    if (!qs.length) return true;
    this.asking = { pos, qs, at: 0, wrong: false };
    this.ask();
    return false;
  }

  ask() {
    const { qs, at } = this.asking;
    const q = qs[at];
    const ex = this.getExplainer();
    const more = qs.length > 1 ? ` (${at + 1} of ${qs.length})` : '';
    this.prompt.textContent = q.phase === 'forward'
      ? `Predict: ${ex.defines(q.node)} — what is ${ex.ref(q.node)}.data?`
      : `Predict${more}: backward through ${ex.defines(this.g.stepNode[q.k])} — what is ${ex.ref(q.node)}.grad after this step?`;
    this.feedback.textContent = '';
    this.feedback.className = 'predict-feedback';
    this.input.value = '';
    this.panel.hidden = false;
    this.panel.classList.add('asking');
    this.input.focus();
  }

  check() {
    if (!this.asking) return;
    const text = this.input.value.trim();
    const ans = Number(text);
    if (!text || Number.isNaN(ans)) {
      this.feedback.textContent = 'Type a number, e.g. -3 or 0.5.';
      return;
    }
    const q = this.asking.qs[this.asking.at];
    this.tries++;
    if (near(ans, q.want)) {
      this.right++;
      this.showScore();
      return this.next(`✓ Right: ${fmt(q.want)} (within ±${fmt(tolerance(q.want))}).`);
    }
    this.asking.wrong = true;
    this.showScore();
    const why = q.phase === 'backward' ? diagnose(this.g, q.k, q.u, ans) : null;
    this.feedback.className = 'predict-feedback wrong';
    this.feedback.textContent = `✗ Not ${fmt(ans)}. ${why || this.arithmetic(q)} Try again, or press Show.`;
  }

  /** The correct arithmetic, when no known mistake explains the answer. */
  arithmetic(q) {
    const g = this.g;
    const ex = this.getExplainer();
    if (q.phase === 'forward') return `The rule: ${ex.defines(q.node)}.`;
    const i = g.stepNode[q.k];
    const prev = g.uPrev[q.u];
    const sum = prev !== 0 ? ` added to the ${fmt(prev)} it held: ${fmt(g.uGrad[q.u])}` : '';
    return `The chain rule: local ${fmt(g.uLocal[q.u])} × ${ex.ref(i)}.grad ${fmt(g.finalGrad[i])} = ${fmt(g.uDelta[q.u])}${sum}.`;
  }

  /** Show the answer (counted as missed) and move on. */
  reveal() {
    if (!this.asking) return;
    const q = this.asking.qs[this.asking.at];
    if (!this.asking.wrong) this.tries++;
    this.showScore();
    this.next(`Shown: ${fmt(q.want)}. ${this.arithmetic(q)}`);
  }

  /** The next question of this step, or the step itself. */
  next(message) {
    this.asking.at++;
    this.asking.wrong = false;
    if (this.asking.at < this.asking.qs.length) {
      this.ask();
      this.feedback.className = 'predict-feedback right';
      this.feedback.textContent = message;
      return;
    }
    const { pos } = this.asking;
    this.asking = null;
    this.answered.add(pos);
    this.idle(message);
    this.feedback.className = 'predict-feedback right';
    this.input.value = '';
    this.playback.jump(pos);
    tid('step-next').focus();
  }

  showScore() {
    this.score.textContent = this.tries ? `${this.right} right of ${this.tries} tries` : '';
    this.score.hidden = !this.on;
  }
}

/** The nudge control of a selected leaf: ±h on it, the output before and after, the slope beside the grad. */
export function nudgeControl({ g, i, source, outputId, name, ref }) {
  const box = el('div', 'nudge');
  box.dataset.testid = 'nudge';
  const row = el('div', 'nudge-row');
  const h = el('input');
  h.value = '0.01';
  h.inputMode = 'decimal';
  h.setAttribute('aria-label', 'Nudge size h');
  h.dataset.testid = 'nudge-h';
  const minus = el('button', null, '− h');
  const plus = el('button', null, '+ h');
  for (const b of [minus, plus]) b.type = 'button';
  minus.dataset.testid = 'nudge-minus';
  plus.dataset.testid = 'nudge-plus';
  row.append(el('span', 'nudge-title', `Nudge ${name(i)} by`), h, minus, plus);
  const result = el('div', 'nudge-result');
  result.dataset.testid = 'nudge-result';
  box.append(row, result);
  const out = g.idx.get(outputId);
  const go = async (sign) => {
    const step = Number(h.value);
    if (!Number.isFinite(step) || step === 0) {
      result.textContent = 'h must be a non-zero number, e.g. 0.01.';
      return;
    }
    const x = g.data[i];
    result.textContent = 'computing…';
    try {
      const moved = await api.post('/api/v1/expression', { source, overrides: { [g.nodes[i].id]: x + sign * step } });
      const after = new Map(moved.nodes.map((n) => [n.id, Number(n.data)]));
      const y0 = g.data[out];
      const y1 = after.get(outputId);
      const slope = (y1 - y0) / (sign * step);
      const grad = g.finalGrad[i];
      const agree = Math.abs(slope - grad) <= 1e-6 * Math.max(1, Math.abs(grad)) ? '≈' : '≠';
      const lines = [
        `${ref(i)}: ${fmt(x)} → ${fmt(x + sign * step)};  ${ref(out)}: ${fmt(y0)} → ${fmt(y1)}`,
        `measured slope Δ${name(out)}/Δ${name(i)} = ${full(slope)}  ${agree}  ${ref(i)}.grad = ${full(grad)}`,
      ];
      // how every other node moved: the biggest changes
      const moves = [];
      for (let j = 0; j < g.n; j++) {
        const d = after.get(g.nodes[j].id) - g.data[j];
        if (j !== i && j !== out && d !== 0 && Number.isFinite(d)) moves.push([Math.abs(d), `${name(j)} ${d > 0 ? '+' : ''}${fmt(d)}`]);
      }
      moves.sort((a, b) => b[0] - a[0]);
      if (moves.length) lines.push(`also moved: ${moves.slice(0, 5).map((m) => m[1]).join(', ')}${moves.length > 5 ? ', …' : ''}`);
      result.textContent = lines.join('\n');
    } catch (err) {
      result.textContent = err.message;
    }
  };
  minus.addEventListener('click', () => go(-1));
  plus.addEventListener('click', () => go(1));
  return box;
}

/** "Paths to the output" for node i: each path's product of local derivatives, their sum beside the grad. */
export function pathsControl({ g, i, source, name, onLight }) {
  const box = el('div', 'paths');
  box.dataset.testid = 'paths';
  const b = el('button', null, `Paths from ${name(i)} to the output`);
  b.type = 'button';
  const list = el('div', 'paths-list');
  box.append(b, list);
  b.addEventListener('click', async () => {
    list.textContent = 'computing…';
    try {
      const res = await api.post('/api/v1/expression', { source, paths: g.nodes[i].id });
      const p = res.paths;
      const items = p.paths.map((path, k) => {
        const chain = path.edges.map((e) => `${name(g.idx.get(e.target))} (×${fmt(e.local)})`).join(' → ');
        return el('div', 'path', `${k + 1}. ${name(i)} → ${chain}: product ${fmt(path.product)}`);
      });
      const shown = p.complete ? '' : ` (the ${p.paths.length} largest of ${p.count_exact ? p.count : 'more than ' + p.count})`;
      const head = el('div', 'paths-head', `${p.count} path${p.count === 1 ? '' : 's'}${shown}; their sum ${fmt(p.sum)} = ${name(i)}.grad ${fmt(p.grad)}`);
      head.dataset.testid = 'paths-sum';
      list.replaceChildren(head, ...items);
      onLight(p.paths.flatMap((path) => path.edges.map((e) => [e.source, e.target])));
    } catch (err) {
      list.textContent = err.message;
    }
  });
  return box;
}

/** Every leaf's grad beside its central difference, agree or not, and why at a kink. */
export async function fdTable({ g, source, name }) {
  const res = await api.post('/api/v1/expression', { source, finite_differences: true });
  const table = el('table', 'fd');
  table.dataset.testid = 'fd-table';
  const head = el('tr');
  for (const t of ['leaf', 'grad', 'numeric', 'h', '']) head.append(el('th', null, t));
  table.append(head);
  for (const f of res.finite_differences) {
    const tr = el('tr', f.agree ? 'agree' : 'disagree');
    const i = g.idx.get(f.node);
    tr.append(el('td', null, name(i)), el('td', null, fmt(Number(f.grad))), el('td', null, fmt(Number(f.numeric))),
      el('td', null, Number(f.h).toExponential(1)),
      el('td', null, f.agree ? `✓ agree (±${Number(f.tolerance).toExponential(1)})` : `✗ differ${f.note ? `: ${f.note}` : ''}`));
    table.append(tr);
  }
  return table;
}
