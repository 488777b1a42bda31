/**
 * Drawing of a layout view (value records `label | data | grad`, op nodes, edges), with pan,
 * zoom, fit and an overview. Up to BIG_VIEW boxes it is one SVG built once as a markup string;
 * playback then touches only the nodes a step changed (`update`) and the few highlighted
 * elements (`highlight`). Above it (a 2,000-node chain), 5,000 HTML records cost ~2 s to lay
 * out and ~80 ms a frame to restyle, so a canvas paints the edges, op nodes and boxes, only
 * the records in view are DOM (the same markup, so tests, clicks and export see them), and
 * every other value node keeps a hidden light hook (data-node-id, data-label, data-field).
 */
import { fmt, fmtSmall } from './format.js';
import { nodeName } from './names.js';
import { Overview, W as OVERVIEW_SIDE } from './overview.js';
import { opFontSize, paintCanvas } from './canvas.js';

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


// Scale at which record text reads: value text (RECORD_FONT) at 12 px on screen and up; Fit and
// playback never go below it: a graph that does not fit at it gets the overview instead.
export const READABLE_SCALE = 0.75;
const RECORD_FONT = 16; // px in layout units: 12 px on screen at READABLE_SCALE
const BIG_VIEW = 600; // boxes above which the canvas paints the graph (see the top of the file)
const MAX_RECORDS = 400; // DOM records in view at most (zoomed far out, the canvas alone)
const RECORD_MIN_SCALE = 0.25; // below it record text is unreadable: the canvas alone

export class GraphView {
  /** @param {SVGSVGElement} svg */
  constructor(svg, { onNodeClick, onGroupClick } = {}) {
    this.svg = svg;
    this.onNodeClick = onNodeClick || (() => {});
    this.onGroupClick = onGroupClick || (() => {});
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.valueEls = new Map(); // node index -> {g, data, grad} (a record, or a big graph's hidden hook)
    this.shown = []; // node index -> last drawn "data|grad|state" (skip unchanged writes)
    this.hl = []; // highlighted elements, cleared on the next highlight
    this.summaries = new Map(); // see draw()
    this.width = 1;
    this.height = 1;
    const stage = svg.parentElement;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.canvas.setAttribute('aria-hidden', 'true');
    stage.insertBefore(this.canvas, svg);
    this.hooks = document.createElement('div');
    this.hooks.className = 'hooks';
    this.hooks.hidden = true;
    stage.appendChild(this.hooks);
    this.overview = new Overview(stage, this);
    this.installPanZoom();
    // Pixel size, not 100%: a percentage-sized SVG re-lays out every node whenever anything
    // else on the page changes (~40 ms a step at 2,000 nodes); a fixed one is a layout boundary.
    const size = () => {
      const r = stage.getBoundingClientRect();
      this.width = Math.max(1, Math.round(r.width));
      this.height = Math.max(1, Math.round(r.height));
      for (const el of [svg, this.canvas]) {
        el.style.width = `${this.width}px`;
        el.style.height = `${this.height}px`;
      }
      const dpr = window.devicePixelRatio || 1;
      this.canvas.width = Math.round(this.width * dpr);
      this.canvas.height = Math.round(this.height * dpr);
      this.frameSoon();
    };
    size();
    new ResizeObserver(() => {
      size();
      if (this.view) this.overview.load(this.view, this.g, this.overviewSide()); // a rotated phone, a shown stage
      if (this.framing) this.fit(this.framing); // as it was framed, unless the user has panned or zoomed since
      else this.overview.show(this.needsOverview());
    }).observe(stage);
    // the canvas reads the theme's colours: repaint when it changes
    new MutationObserver(() => { this.colors = null; this.frameSoon(); }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
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
    this.edgesInto = new Map(); // target drawn id -> [path] (a big graph: [edge index])
    this.shown = new Array(g.n).fill('');
    this.byId = new Map(view.nodes.map((vn) => [vn.id, vn]));
    this.flow = new Map(); // big graph: edge index -> 'flow-fwd' | 'flow-back' | 'lit'
    this.cur = -1;
    this.hits = new Set();
    const grouped = view.nodes.some((vn) => vn.kind === 'group');
    // Big graphs: the canvas paints, no animated flow or panning (each would repaint every node per frame).
    this.big = view.nodes.length > BIG_VIEW && !grouped;
    this.svg.classList.toggle('big', view.nodes.length > BIG_VIEW);
    this.svg.classList.toggle('painted', this.big);
    this.svg.querySelector('.viewport')?.remove();
    const vp = document.createElementNS(SVGNS, 'g');
    vp.setAttribute('class', 'viewport');
    if (this.big) this.drawBig(view, g, vp);
    else this.drawSvg(view, g, vp);
    this.overview.load(view, g, this.overviewSide());
    this.fit();
  }

  drawSvg(view, g, vp) {
    this.hooks.replaceChildren();
    this.records = null;
    const parts = [];
    parts.push('<g class="edges">');
    view.edges.forEach((e, k) => {
      parts.push(`<path class="e" data-k="${k}" d="${pathOf(e.points)}"/>`);
    });
    parts.push('</g><g class="nodes">');
    for (const vn of view.nodes) parts.push(this.nodeMarkup(vn, g));
    parts.push('</g>');
    vp.innerHTML = parts.join('');
    this.svg.appendChild(vp);
    this.vp = vp;
    const paths = vp.querySelectorAll('path.e');
    view.edges.forEach((e, k) => {
      const list = this.edgesInto.get(e.target) || [];
      list.push(paths[k]);
      this.edgesInto.set(e.target, list);
    });
    for (const el of vp.querySelectorAll('[data-node-id]')) this.setEls(g.idx.get(el.dataset.nodeId), el);
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
    this.paintFrame();
  }

  /** A big graph: value nodes as hidden hooks, records made as they come into view (syncRecords). */
  drawBig(view, g, vp) {
    vp.innerHTML = '<g class="nodes"></g>';
    this.svg.appendChild(vp);
    this.vp = vp;
    this.nodesLayer = vp.firstChild;
    this.records = new Map(); // node index -> its record element, for the nodes in view
    this.summaries = new Map();
    this.values = []; // drawn value nodes: {i, vn}
    const parts = [];
    for (const vn of view.nodes) {
      if (vn.kind !== 'value') continue;
      const i = g.idx.get(vn.id);
      this.values.push({ i, vn });
      const node = g.nodes[i];
      parts.push(`<div class="vn" data-node-id="${esc(node.id)}" data-label="${esc(node.label || '')}"><b data-field="data">·</b> <b data-field="grad">0.0000</b></div>`);
    }
    this.hooks.innerHTML = parts.join('');
    for (const el of this.hooks.children) this.setEls(g.idx.get(el.dataset.nodeId), el);
    this.hookOf = new Map([...this.valueEls].map(([i, e]) => [i, e.g]));
    view.edges.forEach((e, k) => {
      const list = this.edgesInto.get(e.target) || [];
      list.push(k);
      this.edgesInto.set(e.target, list);
    });
  }

  setEls(i, el) {
    this.valueEls.set(i, { g: el, data: el.querySelector('[data-field="data"]'), grad: el.querySelector('[data-field="grad"]') });
    this.shown[i] = '';
  }

  /** A big graph: the records of the value nodes in view are DOM, the others hidden hooks. */
  syncRecords() {
    if (!this.big || !this.g) return;
    const want = new Set();
    if (this.scale >= RECORD_MIN_SCALE) {
      const [x0, y0, x1, y1] = this.visibleRect(40);
      for (const { i, vn } of this.values) {
        if (vn.x + vn.width / 2 < x0 || vn.x - vn.width / 2 > x1 || vn.y + vn.height / 2 < y0 || vn.y - vn.height / 2 > y1) continue;
        want.add(i);
        if (want.size > MAX_RECORDS) { want.clear(); break; }
      }
    }
    const gone = [];
    for (const [i, el] of this.records) {
      if (want.has(i)) continue;
      el.remove();
      this.records.delete(i);
      this.hooks.appendChild(this.hookOf.get(i));
      this.setEls(i, this.hookOf.get(i));
      gone.push(i);
    }
    // a hook was not written while its record stood in for it
    if (gone.length && this.player) this.update(this.player, gone);
    const add = [...want].filter((i) => !this.records.has(i));
    if (!add.length) return;
    const box = document.createElementNS(SVGNS, 'g');
    box.innerHTML = add.map((i) => this.nodeMarkup(this.byId.get(this.g.nodes[i].id), this.g)).join('');
    const els = [...box.children];
    els.forEach((el, k) => {
      const i = add[k];
      this.hookOf.get(i).remove();
      this.records.set(i, el);
      this.nodesLayer.appendChild(el);
      this.setEls(i, el);
      if (i === this.cur) { el.classList.add('cur'); this.hl.push([el, 'cur']); }
      if (this.hits.has(i)) { el.classList.add('hit'); this.hl.push([el, 'hit']); }
    });
    if (this.player) this.update(this.player, add);
  }

  /** The part of the layout on screen, in layout px, grown by `margin` screen px. */
  visibleRect(margin = 0) {
    const s = this.scale;
    return [(-this.tx - margin) / s, (-this.ty - margin) / s, (this.width - this.tx + margin) / s, (this.height - this.ty + margin) / s];
  }

  /** Once a frame at most: the records in view, the canvas and the overview. */
  frameSoon() {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.paintFrame();
    });
  }

  paintFrame() {
    if (!this.view) return;
    this.syncRecords();
    const ctx = this.canvas.getContext('2d');
    if (this.big) {
      this.colors ||= colorsOf(this.svg);
      paintCanvas(ctx, this);
    } else {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    }
    this.overview.paint();
  }

  nodeMarkup(vn, g) {
    const x0 = r1(vn.x - vn.width / 2);
    const y0 = r1(vn.y - vn.height / 2);
    const w = r1(vn.width);
    const h = r1(vn.height);
    if (vn.kind === 'op') {
      const i = g.idx.get(vn.id.replace(/:op$/, ''));
      const sym = g.nodes[i]?.symbol || g.nodes[i]?.op || '?';
      const fs = opFontSize(sym, w, h);
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
    const shown = label || (node.op || node.role === 'const' ? nodeName(g, i) : '');
    // draw_dot's record in three rows (label, data, grad) at RECORD_FONT: the layout sized the
    // box for it (layout/views.py); a longer number still fits by shrinking, a long derived
    // name shrinks alone (to 0.65 of it, then is cut with …; its title has it whole)
    const chars = Math.max(11.5, fmt(g.data[i]).length + 3.5, fmt(g.finalGrad[i]).length + 3.5);
    const fs = Math.max(6, Math.min(RECORD_FONT, h / 3.9, (w - 12) / (chars * 0.6)));
    const lf = Math.max(0.65, Math.min(label ? 1 : 0.9, (w - 10) / (Math.max(1, shown.length) * 0.6 * fs)));
    const role = node.role === 'op' ? 'opv' : node.role;
    const out = node.id === g.graph.output ? ' output' : '';
    // A Python program's node that gradwalk's op table disagrees with (docs/api.md, checks): marked ✗.
    const bad = g.checks?.has(i) ? ' bad' : '';
    // The record is HTML in a foreignObject: crisp CSS boxes, and innerText works on its fields.
    return `<g class="vn ${role}${out}${bad}" data-node-id="${esc(node.id)}" data-label="${esc(label)}"${bad ? ' data-check="fail"' : ''} transform="translate(${x0},${y0})">` +
      `<foreignObject width="${w}" height="${h}"><div class="rec" style="font-size:${r1(fs)}px">` +
      (bad ? `<span class="badmark" title="gradwalk's chain rule disagrees: click for details">✗</span>` : '') +
      `<span class="lbl${label ? '' : ' derived'}" title="${esc(shown)}" style="font-size:${lf.toFixed(2)}em">${esc(shown)}</span>` +
      '<span class="cell"><i>data</i><b data-field="data">·</b></span>' +
      '<span class="cell gcell"><i>grad</i><b data-field="grad">0.0000</b></span>' +
      '</div></foreignObject></g>';
  }

  /** Redraw the values of nodes `changed` (indices) from `player`; unchanged text is not rewritten. */
  update(player, changed) {
    this.player = player;
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
    if (this.big) {
      for (const [k, f] of this.flow) if (f !== 'lit') this.flow.delete(k);
      this.frameSoon();
    }
    this.cur = stepNode;
    this.hits = new Set(stepNode < 0 ? [] : targets.filter((j) => j !== stepNode));
    if (stepNode < 0) return;
    const add = (el, cls) => {
      if (el === undefined || el === null) return;
      if (typeof el === 'number') { this.flow.set(el, cls); return; } // a big graph's edge: the canvas draws it
      el.classList.add(cls);
      this.hl.push([el, cls]);
    };
    const id = this.g.nodes[stepNode].id;
    const grp = this.groupOf.get(stepNode);
    add(this.valueEls.get(stepNode)?.g || grp, 'cur');
    add(this.opEls.get(stepNode), 'cur');
    for (const j of this.hits) add(this.valueEls.get(j)?.g || this.groupOf.get(j), 'hit');
    const flow = phase === 'backward' ? 'flow-back' : 'flow-fwd';
    if (phase === 'backward' && targets.length === 1 && targets[0] === stepNode) return; // the seed
    for (const p of this.edgesInto.get(`${id}:op`) || []) add(p, flow);
    for (const p of this.edgesInto.get(id) || []) add(p, flow);
    if (grp) for (const p of this.edgesInto.get(grp.dataset.group) || []) add(p, flow);
  }

  /** Light the edges of `pairs` ([source id, target id] of the Graph JSON): paths to the output. */
  lightEdges(pairs) {
    if (!this.view) return;
    if (this.big) for (const [k, f] of this.flow) if (f === 'lit') this.flow.delete(k);
    for (const p of this.vp?.querySelectorAll('path.e.lit') || []) p.classList.remove('lit');
    const want = new Set(pairs.map(([s, t]) => `${s}>${t}`));
    const paths = this.big ? null : this.vp.querySelectorAll('path.e');
    this.view.edges.forEach((e, k) => {
      if (!pairs.length) return;
      const target = String(e.target).replace(/:op$/, '');
      const source = String(e.source).replace(/:op$/, '');
      // operand -> op node, and op node -> its value, both lie on an edge (source, value)
      const on = String(e.source).endsWith(':op') ? [...want].some((w) => w.endsWith(`>${source}`)) : want.has(`${source}>${target}`);
      if (!on) return;
      if (this.big) { if (!this.flow.has(k)) this.flow.set(k, 'lit'); } else paths[k]?.classList.add('lit');
    });
    if (this.big) this.frameSoon();
  }

  /** The drawn box of node i (its group's box in a collapsed view). */
  boxOf(i) {
    return this.byId?.get(this.g.nodes[i].id) || (this.groupOf.get(i) && this.byId.get(this.groupOf.get(i).dataset.group));
  }

  /** Centre the box `id` at a scale where its text can be read (after expanding a group). */
  focus(id) {
    const vn = this.byId?.get(id);
    if (!vn) return;
    this.scale = Math.max(this.scale, READABLE_SCALE);
    this.centerOn(vn.x, vn.y, true);
  }

  /** Put layout point (x, y) at the centre of the stage. */
  centerOn(x, y, animate = false) {
    this.framing = null;
    this.tx = this.width / 2 - x * this.scale;
    this.ty = this.height / 2 - y * this.scale;
    this.apply(animate);
  }

  /**
   * Keep node i on screen at a readable scale as playback moves (pan only, unless zoomed out
   * below readable in a full view: then back to the readable scale).
   */
  ensureVisible(i) {
    const vn = this.boxOf(i);
    if (!vn) return;
    const sx = vn.x * this.scale + this.tx;
    const sy = vn.y * this.scale + this.ty;
    const mx = Math.min(60 + (vn.width * this.scale) / 2, this.width / 3);
    const my = Math.min(60, this.height / 3);
    const readable = this.scale >= READABLE_SCALE - 1e-9;
    if (readable && sx > mx && sx < this.width - mx && sy > my && sy < this.height - my) return;
    if (this.wholeScale() >= READABLE_SCALE) return this.fit(); // a small graph: show it whole again
    if (!readable) this.scale = READABLE_SCALE;
    this.centerOn(vn.x, vn.y, true);
  }

  // ------------------------------------------------------------------ pan / zoom
  apply(animate = false) {
    if (!this.vp) return;
    this.vp.style.transition = animate && !this.big && !this.svg.classList.contains('big') ? 'transform 250ms ease' : '';
    this.vp.style.transform = `translate(${this.tx}px,${this.ty}px) scale(${this.scale})`;
    // Far out, text is unreadable anyway: hide it so panning huge graphs stays fluid.
    this.svg.classList.toggle('far', this.scale < 0.3);
    this.frameSoon();
  }

  /** Scale at which the whole view fits the stage (clear of the buttons above and the legend below). */
  wholeScale() {
    const [top, bottom, pad] = [56, 40, 8];
    const w = Math.max(1, this.view.width);
    const h = Math.max(1, this.view.height);
    return Math.min((this.width - 2 * pad) / w, (this.height - top - bottom) / h, 2.2);
  }

  /** True when the view does not fit the stage at a readable scale: the overview shows where you are. */
  needsOverview() {
    return Boolean(this.view) && this.wholeScale() < READABLE_SCALE;
  }

  /**
   * Show the whole graph, never below the readable scale: a graph too big for that opens on its
   * output (where backward starts) at the readable scale, with the overview (a 16-16-1 MLP's
   * neuron view too: 16 boxes a column cannot be read whole on a laptop). `readable: false`
   * shows it whole however small.
   */
  fit({ readable = true } = {}) {
    if (!this.view) return;
    this.framing = { readable };
    const pad = 8;
    const [top, bottom] = [56, 40]; // clear of the view buttons above and the legend below
    const w = Math.max(1, this.view.width);
    const h = Math.max(1, this.view.height);
    const whole = this.wholeScale();
    this.scale = readable ? Math.max(whole, READABLE_SCALE) : whole;
    const out = this.byId.get(this.g.graph.output);
    const ow = out ? out.x + out.width / 2 : w; // the output's right edge
    // too wide: the output at the right edge; else centred
    this.tx = this.scale > whole + 1e-9 && w * this.scale > this.width - 2 * pad
      ? this.width - pad - ow * this.scale
      : (this.width - w * this.scale) / 2;
    this.ty = top + (this.height - top - bottom - h * this.scale) / 2;
    // Too tall to read whole: open on the output (a training loop's loss), where backward starts.
    if (out && h * this.scale > this.height - top - bottom) this.ty = top + (this.height - top - bottom) / 2 - out.y * this.scale;
    this.overview.show(this.needsOverview());
    if (out && this.overview.on) this.clearOfOverview(out);
    this.apply();
  }

  /** The minimap's longer side: at most a fifth of the stage's width and two fifths of its height. */
  overviewSide() {
    return Math.max(120, Math.min(OVERVIEW_SIDE, this.width / 5, (this.height * 2) / 5));
  }

  /** Move the view left until box `vn` (the output) is not under the minimap in the bottom right corner. */
  clearOfOverview(vn) {
    const r = this.overview.canvas.getBoundingClientRect();
    const stage = this.svg.getBoundingClientRect();
    const [left, top] = [r.left - stage.left - 8, r.top - stage.top - 8];
    const right = (vn.x + vn.width / 2) * this.scale + this.tx;
    const bottom = (vn.y + vn.height / 2) * this.scale + this.ty;
    if (r.width && right > left && bottom > top) this.tx -= right - left;
  }

  zoomBy(f, cx, cy) {
    this.framing = null;
    cx ??= this.width / 2;
    cy ??= this.height / 2;
    const s = Math.max(0.02, Math.min(8, this.scale * f));
    this.tx = cx - ((cx - this.tx) * s) / this.scale;
    this.ty = cy - ((cy - this.ty) * s) / this.scale;
    this.scale = s;
    this.apply();
  }

  /** A big graph's value or op box under screen point (px, py) of the stage, as a node index. */
  hitTest(px, py) {
    if (!this.big) return null;
    const x = (px - this.tx) / this.scale;
    const y = (py - this.ty) / this.scale;
    for (const vn of this.view.nodes) {
      if (Math.abs(vn.x - x) <= vn.width / 2 && Math.abs(vn.y - y) <= vn.height / 2) {
        return this.g.idx.get(vn.id.replace(/:op$/, ''));
      }
    }
    return null;
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
      if (drag && !drag.moved && ev.type === 'pointerup' && this.g) {
        const el = ev.target.closest?.('[data-node-id],[data-op-for],[data-group]');
        const r = svg.getBoundingClientRect();
        const hit = el ? null : this.hitTest(ev.clientX - r.left, ev.clientY - r.top);
        if (el && el.dataset.group) this.onGroupClick(el.dataset.group);
        else if (el) this.onNodeClick(this.g.idx.get(el.dataset.nodeId || el.dataset.opFor));
        else if (hit !== null && hit !== undefined) this.onNodeClick(hit);
      }
      drag = null;
      svg.classList.remove('panning');
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
  }
}

/** The theme's colours, for the canvas. */
function colorsOf(el) {
  const cs = getComputedStyle(el);
  const v = (name) => cs.getPropertyValue(name).trim();
  const names = ['edge', 'accent', 'fwd', 'ink', 'muted', 'in-fill', 'in-stroke', 'par-fill', 'par-stroke', 'const-fill', 'const-stroke',
    'op-fill', 'op-stroke', 'opnode-fill', 'opnode-stroke'];
  return Object.fromEntries(names.map((n) => [n, v(`--${n}`)]));
}
