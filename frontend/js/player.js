/**
 * Pure playback state machine over a Graph JSON's forward list and backward steps (no DOM).
 *
 * Playback positions (what the step label, the scrubber and the URL's `pos` count):
 *   pos 0            "forward 0/F"   nothing evaluated yet: no data shown, every grad 0.
 *   pos i (1..F)     "forward i/F"   the first i nodes of `forward` have their data.
 *   pos F+1+k        "backward k/K"  (K = backward.length - 1) every node has its data and
 *                    backward steps 0..k are applied: step 0 seeds the output grad = 1,
 *                    step k applies the updates of backward[k] (operand.grad += delta).
 * Values shown are those AFTER the current position's step. A grad that no update has
 * reached yet is 0 (drawn as a dimmed 0.0000). Stepping back undoes exactly one step:
 * each update remembers the grad it replaced, so undo is exact, not a subtraction.
 */

/** A JSON number or the API's "NaN"/"Infinity"/"-Infinity" strings -> a JS number. */
export function num(x) {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  return Number(x);
}


/** Index a Graph JSON once: ids -> indices, operands, consumers, flat update arrays. */
export function indexGraph(graph) {
  const nodes = graph.nodes;
  const n = nodes.length;
  const idx = new Map();
  for (let i = 0; i < n; i++) idx.set(nodes[i].id, i);
  const data = new Float64Array(n);
  const finalGrad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    data[i] = num(nodes[i].data);
    finalGrad[i] = num(nodes[i].grad);
  }
  const operands = Array.from({ length: n }, () => []);
  const consumers = Array.from({ length: n }, () => []);
  for (const e of graph.edges) {
    const s = idx.get(e.source);
    const t = idx.get(e.target);
    const slot = e.operand ?? operands[t].length;
    operands[t][slot] = s;
    consumers[s].push(t);
  }
  const forward = Int32Array.from(graph.forward, (id) => idx.get(id));
  const fwdRank = new Int32Array(n).fill(n);
  for (let r = 0; r < forward.length; r++) fwdRank[forward[r]] = r;

  // Flatten updates: step k owns updates [stepStart[k], stepStart[k+1]).
  const steps = graph.backward;
  const stepNode = new Int32Array(steps.length);
  const stepStart = new Int32Array(steps.length + 1);
  let total = 0;
  for (const s of steps) total += s.updates.length;
  const uNode = new Int32Array(total);
  const uLocal = new Float64Array(total);
  const uDelta = new Float64Array(total);
  const uGrad = new Float64Array(total);
  const uPrev = new Float64Array(total); // the grad this update replaced (exact undo)
  const uNth = new Int32Array(total); // 1-based: which contribution to its node this is
  const contribCount = new Int32Array(n);
  const running = new Float64Array(n);
  let u = 0;
  for (let k = 0; k < steps.length; k++) {
    stepNode[k] = idx.get(steps[k].node);
    stepStart[k] = u;
    for (const up of steps[k].updates) {
      const j = idx.get(up.node);
      uNode[u] = j;
      uLocal[u] = num(up.local);
      uDelta[u] = num(up.delta);
      uGrad[u] = num(up.grad);
      uPrev[u] = running[j];
      running[j] = uGrad[u];
      uNth[u] = ++contribCount[j];
      u++;
    }
  }
  stepStart[steps.length] = u;
  // A Python program's checks (docs/api.md): node index -> its disagreements with the op table.
  const checks = new Map();
  for (const c of graph.checks || []) {
    const i = idx.get(c.node);
    if (i === undefined) continue;
    if (!checks.has(i)) checks.set(i, []);
    checks.get(i).push({ ...c, program: num(c.program), reference: num(c.reference) });
  }
  return {
    graph, nodes, n, idx, data, finalGrad, operands, consumers, forward, fwdRank,
    stepNode, stepStart, uNode, uLocal, uDelta, uGrad, uPrev, uNth, contribCount, checks,
  };
}

/**
 * The values of one draw_dot snapshot of a Python program, shaped like a Player for drawing:
 * nodes the picture had show its data and grad, the others nothing yet.
 */
export function snapshotValues(g, snap) {
  const data = new Float64Array(g.n);
  const grad = new Float64Array(g.n);
  const has = new Uint8Array(g.n);
  for (const [id, x] of Object.entries(snap.data || {})) {
    const i = g.idx.get(id);
    if (i !== undefined) { data[i] = num(x); has[i] = 1; }
  }
  for (const [id, x] of Object.entries(snap.grad || {})) {
    const i = g.idx.get(id);
    if (i !== undefined) grad[i] = num(x);
  }
  return { data, grad, isRevealed: (i) => has[i] === 1, isReached: (i) => has[i] === 1, count: has.reduce((a, b) => a + b, 0) };
}

/** A node's unit for stepping `by` 'line' | 'neuron' | 'layer' (see Player.unitKey). */
export function unitOf(node, by) {
  if (by === 'line') return node.line ?? '';
  const group = node.group ?? '';
  return by === 'layer' ? group.replace(/\/neuron\d+$/, '') : group;
}

/** The step sizes a graph offers beyond 'node': statements for expressions, neurons and layers for MLPs. */
export function stepUnits(graph) {
  const units = ['node'];
  const lines = new Set(graph.nodes.map((n) => n.line).filter((l) => l != null));
  if (lines.size > 1) units.push('line');
  if (graph.nodes.some((n) => /\/neuron\d+$/.test(n.group || ''))) units.push('neuron', 'layer');
  return units;
}

export class Player {
  /** @param {ReturnType<typeof indexGraph>} g */
  constructor(g) {
    this.g = g;
    this.F = g.forward.length;
    this.B = g.stepNode.length;
    this.last = this.F + this.B; // positions are 0..last
    this.pos = 0;
    this.grad = new Float64Array(g.n);
    this.hits = new Int32Array(g.n); // contributions received so far
  }

  /** Backward step index applied at `pos`, or -1 during the forward phase. */
  backStep(pos = this.pos) {
    return pos > this.F ? pos - this.F - 1 : -1;
  }

  /** Nodes whose data is visible at `pos`. */
  revealedCount(pos = this.pos) {
    return Math.min(pos, this.F);
  }

  isRevealed(i) {
    return this.g.fwdRank[i] < this.revealedCount();
  }

  /** Has node i received any gradient contribution yet? */
  isReached(i) {
    return this.hits[i] > 0;
  }

  label(pos = this.pos) {
    const k = this.backStep(pos);
    return k < 0 ? `forward ${pos}/${this.F}` : `backward ${k}/${this.B - 1}`;
  }

  /**
   * Move to position p (clamped). Returns the node indices whose shown data or grad
   * may have changed, so a renderer can touch only those.
   */
  seek(p) {
    const g = this.g;
    p = Math.max(0, Math.min(this.last, Math.trunc(p)));
    const changed = [];
    const r0 = this.revealedCount(this.pos);
    const r1 = this.revealedCount(p);
    for (let r = Math.min(r0, r1); r < Math.max(r0, r1); r++) changed.push(g.forward[r]);
    let k0 = this.backStep(this.pos);
    const k1 = this.backStep(p);
    while (k0 < k1) {
      k0++;
      for (let u = g.stepStart[k0]; u < g.stepStart[k0 + 1]; u++) {
        const j = g.uNode[u];
        this.grad[j] = g.uGrad[u];
        this.hits[j]++;
        changed.push(j);
      }
    }
    while (k0 > k1) {
      for (let u = g.stepStart[k0 + 1] - 1; u >= g.stepStart[k0]; u--) {
        const j = g.uNode[u];
        this.grad[j] = g.uPrev[u];
        this.hits[j]--;
        changed.push(j);
      }
      k0--;
    }
    this.pos = p;
    return changed;
  }

  /**
   * The unit position `pos` belongs to when stepping `by` 'node', 'line' (the statement that made
   * the node), 'neuron' or 'layer' (an MLP node's group): positions with the same key are one step.
   * The phase is part of the key, so a step never crosses from forward into backward.
   */
  unitKey(pos, by) {
    if (by === 'node' || pos <= 0) return pos;
    return `${this.backStep(pos) < 0 ? 'forward' : 'backward'} ${this.unitName(pos, by)}`;
  }

  /** The name of the unit `pos` is in ('3' for line 3, 'layer2/neuron4', 'layer2'); '' stepping by node. */
  unitName(pos, by) {
    if (by === 'node' || pos <= 0) return '';
    const g = this.g;
    const k = this.backStep(pos);
    return String(unitOf(g.nodes[k < 0 ? g.forward[pos - 1] : g.stepNode[k]], by));
  }

  /** Where one step `by` a unit lands from `pos`: the last position of the next unit (d > 0), or of the previous one. */
  stepTarget(pos, d, by) {
    if (by === 'node') return pos + d;
    if (d > 0) {
      if (pos >= this.last) return this.last;
      let p = pos + 1;
      const u = this.unitKey(p, by);
      while (p < this.last && this.unitKey(p + 1, by) === u) p++;
      return p;
    }
    if (pos <= 0) return 0;
    const u = this.unitKey(pos, by);
    let p = pos - 1;
    while (p > 0 && this.unitKey(p, by) === u) p--;
    return p;
  }

  next() { return this.seek(this.pos + 1); }
  prev() { return this.seek(this.pos - 1); }
  atEnd() { return this.pos >= this.last; }

  /** What the current position does: for highlighting and the explain panel. */
  current() {
    const g = this.g;
    const k = this.backStep();
    if (k >= 0) {
      return { phase: 'backward', step: k, node: g.stepNode[k], from: g.stepStart[k], to: g.stepStart[k + 1] };
    }
    if (this.pos === 0) return { phase: 'start', step: 0, node: -1, from: 0, to: 0 };
    return { phase: 'forward', step: this.pos, node: g.forward[this.pos - 1], from: 0, to: 0 };
  }

  /** Updated operand indices of the current backward step (for highlighting). */
  currentTargets() {
    const c = this.current();
    const out = [];
    for (let u = c.from; u < c.to; u++) out.push(this.g.uNode[u]);
    return out;
  }
}
