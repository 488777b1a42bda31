/**
 * What the graph stage shows: which layout view (every node / neurons / layers) is drawn,
 * opening a collapsed box one level down, the current step's highlight, and the inspector
 * card of a clicked node. Drawing itself is GraphView's (render.js); the text of the card
 * is the Explainer's.
 */
import { full } from './format.js';
import { nodeName } from './names.js';
import { perf } from './playback.js';
import { GraphView } from './render.js';

const $ = (sel) => document.querySelector(sel);
const VIEW_NAMES = { full: 'every node', neuron: 'neurons', layer: 'layers' };

export class Views {
  /** @param {{onDraw: (name: string) => void}} hooks  told after a view is drawn (URL, per-mode memory) */
  constructor({ onDraw }) {
    this.onDraw = onDraw;
    this.graphView = new GraphView($('#graph'), { onNodeClick: (i) => this.inspect(i), onGroupClick: (id) => this.expand(id) });
    this.bar = $('#views');
    this.empty = $('#empty');
    this.card = $('#inspector');
    this.name = null;
    this.inspected = -1;
    this.card.querySelector('.close').addEventListener('click', () => this.closeInspector());
    this.card.querySelector('.copy').addEventListener('click', () => this.copyValues());
    $('#fit').addEventListener('click', () => this.graphView.fit());
    $('#zoom-in').addEventListener('click', () => this.graphView.zoomBy(1.25));
    $('#zoom-out').addEventListener('click', () => this.graphView.zoomBy(0.8));
  }

  /**
   * Show a new graph: the view bar for its layout's views, then viewName if it has it,
   * else `preferred`, else its first view; a graph without a drawable view gets a message.
   */
  load({ graph, g, player, explainer }, { viewName = null, preferred = null } = {}) {
    Object.assign(this, { graph, g, player, explainer, values: null, fresh: true });
    this.closeInspector();
    const views = graph.layout?.views || {};
    const names = Object.keys(VIEW_NAMES).filter((v) => views[v]);
    this.bar.replaceChildren(...(names.length > 1 ? names.map((v) => this.viewButton(v)) : []));
    this.bar.hidden = names.length < 2;
    this.empty.hidden = true;
    const chosen = names.includes(viewName) ? viewName : names.includes(preferred) ? preferred : names[0];
    if (chosen) return this.draw(chosen);
    this.name = null;
    this.graphView.vp?.remove();
    this.graphView.vp = null;
    this.empty.hidden = false;
    this.empty.textContent = graph.layout
      ? `This graph has ${graph.nodes.length.toLocaleString()} nodes: too many to draw. Stepping and the explain panel still work.`
      : 'The server sent no layout for this graph.';
  }

  viewButton(v) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = VIEW_NAMES[v];
    b.dataset.view = v;
    b.title = `Show the ${b.textContent} view`;
    b.addEventListener('click', () => this.draw(v));
    return b;
  }

  draw(name) {
    this.name = name;
    const t0 = performance.now();
    this.graphView.draw(this.graph.layout.views[name], this.g);
    this.graphView.updateAll(this.values || this.player);
    perf.draws.push({ nodes: this.graph.nodes.length, ms: performance.now() - t0 });
    for (const b of this.bar.children) b.classList.toggle('on', b.dataset.view === name);
    this.onDraw(name);
  }

  /** Draw other values on the same graph (a Python program's draw_dot snapshot), without a step's highlight. */
  showValues(values) {
    this.values = values;
    if (!this.graphView.vp) return;
    this.graphView.updateAll(values);
    this.graphView.highlight(-1, [], 'start');
  }

  /** Redraw what a step changed, the step's highlight, and the open inspector card. */
  update(changed) {
    const gv = this.graphView;
    const p = this.player;
    if (this.values) { // leaving a snapshot: every node shows the playback's values again
      this.values = null;
      changed = [...Array(this.g.n).keys()];
    }
    if (gv.vp) {
      gv.update(p, changed);
      const c = p.current();
      gv.highlight(c.node, c.phase === 'backward' ? p.currentTargets() : [], c.phase);
      // pans only when the step's node is off-screen, and never on the opening frame of a graph
      if (c.node >= 0 && !this.fresh) gv.ensureVisible(c.node);
      this.fresh = false;
    }
    if (this.inspected >= 0) this.inspect(this.inspected);
  }

  /**
   * Open a collapsed box one level down: a layer into the neuron view, a neuron (or the
   * input or loss box) into the every-node view, centred on what it stood for.
   */
  expand(groupId) {
    const views = this.graph?.layout?.views || {};
    const members = views[this.name]?.nodes.find((n) => n.id === groupId)?.members || [];
    const target = this.name === 'layer' && views.neuron ? 'neuron' : views.full ? 'full' : null;
    if (!target || !members.length) return;
    this.draw(target);
    // the box to centre on: in the neuron view a neuron of the layer (or the same box),
    // in the full view the last node the group made (a neuron's output)
    const { idx } = this.g;
    const last = members.reduce((a, b) => (idx.get(b) > idx.get(a) ? b : a));
    const inside = (id) => id === groupId || id.startsWith(`${groupId}/`);
    const to = target === 'full' ? last : this.graphView.view.nodes.find((n) => inside(n.id))?.id || last;
    this.graphView.focus(to);
    if (target === 'full') this.inspect(idx.get(last));
  }

  inspect(i) {
    if (i == null || i < 0 || !this.explainer) return;
    const same = this.inspected === i && !this.card.hidden;
    this.inspected = i;
    if (same) { // a step moved: the values change, the controls (and their results) stay
      const rows = this.explainer.inspect(this.player, i);
      const dds = this.card.querySelectorAll('dd');
      if (dds.length === rows.length) {
        rows.forEach(([, v], k) => { dds[k].textContent = v; });
        return;
      }
    }
    const rows = this.explainer.inspect(this.player, i);
    this.card.querySelector('dl').replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }));
    this.card.querySelector('.extras')?.remove();
    const extras = this.extras?.(i); // what the page adds for this node (nudge, paths)
    if (extras) {
      extras.classList.add('extras');
      this.card.append(extras);
    }
    this.card.hidden = false;
  }

  /** The inspected node's data and grad at full precision, as the step shows them, to the clipboard. */
  async copyValues() {
    const i = this.inspected;
    const p = this.player;
    if (i < 0 || !p) return;
    const data = p.isRevealed(i) ? full(p.g.data[i]) : 'not computed yet';
    const text = `${nodeName(p.g, i)}: data ${data}, grad ${full(p.grad[i])}`;
    const button = this.card.querySelector('.copy');
    button.dataset.copied = text;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied ✓';
    } catch {
      window.prompt('Copy these values:', text); // no clipboard here (an iframe, plain http)
    }
    setTimeout(() => { button.textContent = 'Copy values'; }, 1500);
  }

  closeInspector() {
    this.inspected = -1;
    this.card.hidden = true;
  }

  fitSoon() {
    requestAnimationFrame(() => this.graphView.fit());
  }
}
