/**
 * SVG drawing of a layout view (value records `label | data | grad`, op nodes, edges),
 * with pan, zoom and fit. Built once per view as one markup string; playback then
 * touches only the nodes a step changed (`update`) and the few highlighted elements
 * (`highlight`), so stepping stays cheap at thousands of nodes.
 */
import { fmt, fmtSmall } from './format.js';
import { nodeName } from './names.js';

const SVGNS = 'http://www.w3.org/2000/svg';

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const r1 = (x) => Math.round(x * 10) / 10;

/** A polyline as a smooth path: straight ends, quadratic bends through the midpoints. */
function pathOf(points) {
  if (!points || points.length < 2) return '';
  let d = `M${r1(points[0][0])},${r1(points[0][1])}`;
  if (points.length === 2) return `${d}L${r1(points[1][0])},${r1(points[1][1])}`;
  for (let k = 1; k < points.length - 1; k++) {
    const [x, y] = points[k];
    const [nx, ny] = points[k + 1];
    const mx = k === points.length - 2 ? nx : (x + nx) / 2;
    const my = k === points.length - 2 ? ny : (y + ny) / 2;
    d += `Q${r1(x)},${r1(y)} ${r1(mx)},${r1(my)}`;
  }
  return d;
}

/**
 * The number line of a collapsed box, so the neuron and layer views still show the
 * numbers that matter: a neuron's output and its grad (one sample), otherwise the mean
 * |grad| over the box's parameters (where vanishing or exploding gradients show
 * first), and the loss. `watch` lists the node indices whose change redraws it.
 */
function summaryOf(id, members, g, el) {
  if (!el || !members.length) return null;
  const out = g.idx.get(g.graph.output);
  if (id === 'loss' && members.includes(out)) {
    return { el, watch: [out], text: (p) => `loss ${p.isRevealed(out) ? fmt(g.data[out]) : '·'}` };
  }
  const inside = new Set(members);
  const outputs = members.filter((i) => g.consumers[i].some((c) => !inside.has(c)));
  if (/\/neuron\d+$/.test(id) && outputs.length === 1) {
    const o = outputs[0];
    return { el, watch: [o], text: (p) => `out ${p.isRevealed(o) ? fmt(g.data[o]) : '·'}  grad ${fmt(p.grad[o])}` };
  }
  const params = members.filter((i) => g.nodes[i].role === 'param');
  if (!params.length) return null;
  return {
    el,
    watch: params,
    text: (p) => {
      let total = 0;
      for (const i of params) total += Math.abs(p.grad[i]);
      return `${params.length} params · mean |grad| ${fmtSmall(total / params.length)}`;
    },
  };
}


const READABLE_SCALE = 0.7; // below this, draw_dot's record text is too small to read

export class GraphView {
  /** @param {SVGSVGElement} svg */
  constructor(svg, { onNodeClick, onGroupClick } = {}) {
    this.svg = svg;
    this.onNodeClick = onNodeClick || (() => {});
    this.onGroupClick = onGroupClick || (() => {});
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.valueEls = new Map(); // node index -> {g, data, grad, cell}
    this.shown = []; // node index -> last drawn "data|grad|state" (skip unchanged writes)
    this.hl = []; // highlighted elements, cleared on the next highlight
    this.summaries = new Map(); // see draw()
    this.installPanZoom();
    // Pixel size, not 100%: a percentage-sized SVG re-lays out every node whenever anything
    // else on the page changes (~40 ms a step at 2,000 nodes); a fixed one is a layout boundary.
    const size = () => {
      const r = svg.parentElement.getBoundingClientRect();
      svg.style.width = `${Math.round(r.width)}px`;
      svg.style.height = `${Math.round(r.height)}px`;
    };
    size();
    new ResizeObserver(() => {
      size();
      if (this.framing) this.fit(this.framing); // as it was framed, unless the user has panned or zoomed since
    }).observe(svg.parentElement);
  }

  /**
   * Draw `view` (a view of the "layout" object, docs/api.md) for indexed graph `g`. Value nodes carry data-node-id
   * and data-label; op nodes carry data-op-for; group boxes carry data-group.
   */
  draw(view, g) {
    this.g = g;
    this.view = view;
    this.valueEls.clear();
    this.opEls = new Map();
    this.groupEls = new Map();
    this.groupOf = new Map(); // node index -> group element (collapsed views)
    this.edgesInto = new Map(); // target drawn id -> [path]
    this.shown = new Array(g.n).fill('');
    // Big graphs: no animated flow or panning (each would repaint every node per frame).
    this.big = view.nodes.length > 600;
    this.svg.classList.toggle('big', this.big);
    const parts = [];
    parts.push('<g class="edges">');
    view.edges.forEach((e, k) => {
      parts.push(`<path class="e" data-k="${k}" d="${pathOf(e.points)}"/>`);
    });
    parts.push('</g><g class="nodes">');
    for (const vn of view.nodes) parts.push(this.nodeMarkup(vn, g));
    parts.push('</g>');
    const vp = document.createElementNS(SVGNS, 'g');
    vp.setAttribute('class', 'viewport');
    vp.innerHTML = parts.join('');
    this.svg.querySelector('.viewport')?.remove();
    this.svg.appendChild(vp);
    this.vp = vp;
    const paths = vp.querySelectorAll('path.e');
    view.edges.forEach((e, k) => {
      const list = this.edgesInto.get(e.target) || [];
      list.push(paths[k]);
      this.edgesInto.set(e.target, list);
    });
    for (const el of vp.querySelectorAll('[data-node-id]')) {
      const i = g.idx.get(el.dataset.nodeId);
      this.valueEls.set(i, {
        g: el,
        data: el.querySelector('[data-field="data"]'),
        grad: el.querySelector('[data-field="grad"]'),
      });
    }
    for (const el of vp.querySelectorAll('[data-op-for]')) this.opEls.set(g.idx.get(el.dataset.opFor), el);
    for (const el of vp.querySelectorAll('[data-group]')) this.groupEls.set(el.dataset.group, el);
    this.summaries = new Map(); // node index -> [summary] whose line shows it (collapsed views)
    for (const vn of view.nodes) {
      if (vn.kind !== 'group') continue;
      const el = this.groupEls.get(vn.id);
      const members = (vn.members || []).map((m) => g.idx.get(m));
      for (const i of members) this.groupOf.set(i, el);
      const sum = summaryOf(vn.id, members, g, el.querySelector('.sub'));
      for (const i of sum?.watch || []) {
        const list = this.summaries.get(i) || [];
        list.push(sum);
        this.summaries.set(i, list);
      }
    }
    // A collapsed view is an overview: it opens whole, not at the readable scale.
    this.fit({ readable: !view.nodes.some((vn) => vn.kind === 'group') });
  }

  nodeMarkup(vn, g) {
    const x0 = r1(vn.x - vn.width / 2);
    const y0 = r1(vn.y - vn.height / 2);
    const w = r1(vn.width);
    const h = r1(vn.height);
    if (vn.kind === 'op') {
      const i = g.idx.get(vn.id.replace(/:op$/, ''));
      const sym = g.nodes[i]?.symbol || g.nodes[i]?.op || '?';
      const fs = Math.min(16, h * 0.5, (w * 1.5) / Math.max(1, sym.length));
      return `<g class="on" data-op-for="${esc(g.nodes[i].id)}" transform="translate(${x0},${y0})">` +
        `<ellipse cx="${w / 2}" cy="${h / 2}" rx="${w / 2}" ry="${h / 2}"/>` +
        `<text x="${w / 2}" y="${h / 2}" style="font-size:${r1(fs)}px">${esc(sym)}</text></g>`;
    }
    if (vn.kind === 'group') {
      const n = (vn.members || []).length;
      const fs = Math.min(15, h * 0.3);
      const title = vn.id.replace(/^layer(\d+)\/neuron(\d+)$/, 'L$1 · neuron $2').replace(/^layer(\d+)$/, 'layer $1');
      return `<g class="gn" data-group="${esc(vn.id)}" transform="translate(${x0},${y0})">` +
        `<title>${esc(vn.id)}: ${n} nodes (click to expand)</title>` +
        `<rect width="${w}" height="${h}" rx="8"/>` +
        `<text x="${w / 2}" y="${h * 0.4}" style="font-size:${r1(fs)}px">${esc(title)}</text>` +
        `<text class="sub" x="${w / 2}" y="${h * 0.76}" style="font-size:${r1(fs * 0.8)}px">${n} nodes</text></g>`;
    }
    const i = g.idx.get(vn.id);
    const node = g.nodes[i];
    const label = node.label || '';
    // The box shows what the panel calls the node: an unnamed result its expression (dimmed).
    const shown = label || (node.op ? nodeName(g, i) : '');
    // Section widths in proportion to their text: label | data -3.0000 | grad 6.0000
    const lc = Math.max(shown.length, 1) + 1.5;
    const dc = fmt(g.data[i]).length + 5.5;
    const gc = Math.max(fmt(g.finalGrad[i]).length, 6) + 5.5;
    const tot = lc + dc + gc;
    const fs = Math.max(6, Math.min(17, h * 0.46, w / (tot * 0.61)));
    const lw = r1((w * lc) / tot);
    const dw = r1((w * dc) / tot);
    const gw = r1(w - lw - dw);
    const role = node.role === 'op' ? 'opv' : node.role;
    const out = node.id === g.graph.output ? ' output' : '';
    // A Python program's node that gradwalk's op table disagrees with (docs/api.md, checks): marked ✗.
    const bad = g.checks?.has(i) ? ' bad' : '';
    // The record is HTML in a foreignObject: crisp CSS boxes, and innerText works on its fields.
    return `<g class="vn ${role}${out}${bad}" data-node-id="${esc(node.id)}" data-label="${esc(label)}"${bad ? ' data-check="fail"' : ''} transform="translate(${x0},${y0})">` +
      `<foreignObject width="${w}" height="${h}"><div class="rec" style="font-size:${r1(fs)}px">` +
      (bad ? `<span class="badmark" title="gradwalk's chain rule disagrees: click for details">✗</span>` : '') +
      `<span class="lbl${label ? '' : ' derived'}" style="width:${lw}px;font-size:${r1(fs * (label ? 1.08 : 0.9))}px">${esc(shown)}</span>` +
      `<span class="cell" style="width:${dw}px"><i>data </i><b data-field="data">·</b></span>` +
      `<span class="cell gcell" style="width:${gw}px"><i>grad </i><b data-field="grad">0.0000</b></span>` +
      '</div></foreignObject></g>';
  }

  /** Redraw the values of nodes `changed` (indices) from `player`; unchanged text is not rewritten. */
  update(player, changed) {
    const stale = new Set();
    for (const i of changed) {
      for (const sum of this.summaries.get(i) || []) stale.add(sum);
      const el = this.valueEls.get(i);
      if (!el) continue;
      const revealed = player.isRevealed(i);
      const reached = player.isReached(i);
      const gv = player.grad[i];
      const dText = revealed ? fmt((player.data || this.g.data)[i]) : '·'; // a snapshot brings its own data
      const gText = fmt(gv);
      const sign = !reached ? 'gnone' : gv > 0 ? 'gpos' : gv < 0 ? 'gneg' : 'gzero';
      const key = `${dText}|${gText}|${revealed ? 1 : 0}|${sign}`;
      if (this.shown[i] === key) continue;
      this.shown[i] = key;
      el.data.textContent = dText;
      el.grad.textContent = gText;
      el.g.setAttribute('class', el.g.getAttribute('class').replace(/ (pending|gnone|gpos|gneg|gzero)/g, '') + (revealed ? '' : ' pending') + ` ${sign}`);
    }
    for (const sum of stale) {
      const text = sum.text(player);
      if (sum.el.textContent !== text) sum.el.textContent = text;
    }
  }

  /** Refresh every node (after drawing a view, or a jump). */
  updateAll(player) {
    this.update(player, [...this.valueEls.keys(), ...this.summaries.keys()]);
  }

  /**
   * Mark the step: the node whose rule runs (`cur`), the operands it updates (`hit`), and the
   * edges the value or gradient flows along (`flow-fwd` / `flow-back`, animated by CSS).
   */
  highlight(stepNode, targets, phase) {
    for (const [el, cls] of this.hl) el.classList.remove(cls);
    this.hl = [];
    if (stepNode < 0) return;
    const add = (el, cls) => {
      if (!el) return;
      el.classList.add(cls);
      this.hl.push([el, cls]);
    };
    const id = this.g.nodes[stepNode].id;
    const grp = this.groupOf.get(stepNode);
    add(this.valueEls.get(stepNode)?.g || grp, 'cur');
    add(this.opEls.get(stepNode), 'cur');
    for (const j of targets) if (j !== stepNode) add(this.valueEls.get(j)?.g || this.groupOf.get(j), 'hit');
    const flow = phase === 'backward' ? 'flow-back' : 'flow-fwd';
    if (phase === 'backward' && targets.length === 1 && targets[0] === stepNode) return; // the seed
    for (const p of this.edgesInto.get(`${id}:op`) || []) add(p, flow);
    for (const p of this.edgesInto.get(id) || []) add(p, flow);
    if (grp) for (const p of this.edgesInto.get(grp.dataset.group) || []) add(p, flow);
  }

  /** Light the edges of `pairs` ([source id, target id] of the Graph JSON): paths to the output. */
  lightEdges(pairs) {
    for (const p of this.vp?.querySelectorAll('path.e.lit') || []) p.classList.remove('lit');
    if (!pairs.length || !this.view) return;
    const want = new Set(pairs.map(([s, t]) => `${s}>${t}`));
    const paths = this.vp.querySelectorAll('path.e');
    this.view.edges.forEach((e, k) => {
      const target = String(e.target).replace(/:op$/, '');
      const source = String(e.source).replace(/:op$/, '');
      // operand -> op node, and op node -> its value, both lie on an edge (source, value)
      const on = String(e.source).endsWith(':op') ? [...want].some((w) => w.endsWith(`>${source}`)) : want.has(`${source}>${target}`);
      if (on) paths[k]?.classList.add('lit');
    });
  }

  /** Centre the box `id` at a scale where its text can be read (after expanding a group). */
  focus(id) {
    const vn = this.view?.nodes.find((n) => n.id === id);
    if (!vn) return;
    const r = this.svg.getBoundingClientRect();
    this.scale = Math.max(this.scale, READABLE_SCALE);
    this.framing = null;
    this.tx = r.width / 2 - vn.x * this.scale;
    this.ty = r.height / 2 - vn.y * this.scale;
    this.apply(true);
  }

  /** Bring node i into view (pan only) when playback moves off-screen. */
  ensureVisible(i) {
    const vn = this.view?.nodes.find((n) => n.id === this.g.nodes[i].id) ||
      (this.groupOf.get(i) && this.view.nodes.find((n) => n.id === this.groupOf.get(i).dataset.group));
    if (!vn) return;
    const r = this.svg.getBoundingClientRect();
    const sx = vn.x * this.scale + this.tx;
    const sy = vn.y * this.scale + this.ty;
    const m = 60;
    if (sx > m && sx < r.width - m && sy > m && sy < r.height - m) return;
    this.tx = r.width / 2 - vn.x * this.scale;
    this.ty = r.height / 2 - vn.y * this.scale;
    this.apply(true);
  }

  // ------------------------------------------------------------------ pan / zoom
  apply(animate = false) {
    if (!this.vp) return;
    this.vp.style.transition = animate && !this.big ? 'transform 250ms ease' : '';
    this.vp.style.transform = `translate(${this.tx}px,${this.ty}px) scale(${this.scale})`;
    // Far out, text is unreadable anyway: hide it so panning huge graphs stays fluid.
    this.svg.classList.toggle('far', this.scale < 0.3);
  }

  /**
   * Show the whole graph. With `readable`, a small graph (a lecture example) is never
   * shrunk below a scale where its numbers can be read: it is then anchored at the
   * output on the right, where backward starts, and playback pans to each step.
   */
  fit({ readable = false } = {}) {
    if (!this.view) return;
    this.framing = { readable };
    const r = this.svg.getBoundingClientRect();
    const pad = 16;
    const [top, bottom] = [56, 40]; // clear of the view buttons above and the legend below
    const w = Math.max(1, this.view.width);
    const h = Math.max(1, this.view.height);
    const whole = Math.min((r.width - 2 * pad) / w, (r.height - top - bottom) / h, 2.2);
    this.scale = readable ? Math.max(whole, READABLE_SCALE) : whole;
    this.tx = this.scale > whole ? r.width - pad - w * this.scale : (r.width - w * this.scale) / 2;
    this.ty = top + (r.height - top - bottom - h * this.scale) / 2;
    // Too tall to read whole: open on the output (a training loop's loss), where backward starts.
    const out = h * this.scale > r.height - top - bottom && this.view.nodes.find((n) => n.id === this.g.graph.output);
    if (out) this.ty = top + (r.height - top - bottom) / 2 - out.y * this.scale;
    this.apply();
  }

  zoomBy(f, cx, cy) {
    this.framing = null;
    const r = this.svg.getBoundingClientRect();
    cx ??= r.width / 2;
    cy ??= r.height / 2;
    const s = Math.max(0.02, Math.min(8, this.scale * f));
    this.tx = cx - ((cx - this.tx) * s) / this.scale;
    this.ty = cy - ((cy - this.ty) * s) / this.scale;
    this.scale = s;
    this.apply();
  }

  installPanZoom() {
    const svg = this.svg;
    svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = svg.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    let drag = null;
    svg.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) svg.setPointerCapture(ev.pointerId);
      drag.moved = true;
      svg.classList.add('panning');
      this.tx = drag.tx + dx;
      this.framing = null;
      this.ty = drag.ty + dy;
      this.apply();
    });
    const end = (ev) => {
      if (drag && !drag.moved && ev.type === 'pointerup') {
        const el = ev.target.closest?.('[data-node-id],[data-op-for],[data-group]');
        if (el && this.g && el.dataset.group) this.onGroupClick(el.dataset.group);
        else if (el && this.g) this.onNodeClick(this.g.idx.get(el.dataset.nodeId || el.dataset.opFor));
      }
      drag = null;
      svg.classList.remove('panning');
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
  }
}
