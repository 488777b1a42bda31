/**
 * The overview: a minimap in the corner of the graph stage for a graph that does not fit at a
 * readable scale. It shows the whole graph, a rectangle for what the stage shows and the
 * current step's node; a click or a drag there moves the view. GraphView (render.js) owns it.
 */
export const W = 220; // css px, the longer side on a laptop's stage
const PAD = 6;

export class Overview {
  constructor(stage, gv) {
    this.gv = gv;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'overview';
    this.canvas.dataset.testid = 'overview';
    this.canvas.title = 'The whole graph: click or drag to move the view';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Overview of the whole graph; click or drag to move the view');
    this.canvas.hidden = true;
    stage.appendChild(this.canvas);
    this.base = null; // the graph drawn once per view, blitted each frame
    const move = (ev) => {
      const r = this.canvas.getBoundingClientRect();
      const [x, y] = this.nearest(ev.clientX - r.left, ev.clientY - r.top);
      this.gv.centerOn(x, y);
    };
    let dragging = false;
    this.canvas.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      dragging = true;
      this.canvas.setPointerCapture(ev.pointerId);
      move(ev);
      ev.preventDefault();
    });
    this.canvas.addEventListener('pointermove', (ev) => { if (dragging) move(ev); });
    const end = () => { dragging = false; };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
    this.canvas.addEventListener('wheel', (ev) => ev.stopPropagation(), { passive: true });
  }

  /** A new view: its size in the minimap (`side` px at most, its longer side), and the picture of every box. */
  load(view, g, side = W) {
    this.view = view;
    this.g = g;
    const vw = Math.max(1, view.width);
    const vh = Math.max(1, view.height);
    // long and thin graphs (a 500-line chain) stay thin, but never thinner than 36 px
    const k = Math.min((side - 2 * PAD) / vw, (side - 2 * PAD) / vh);
    this.k = k;
    this.w = Math.round(Math.max(vw * k, 60) + 2 * PAD);
    this.h = Math.round(Math.max(vh * k, 36) + 2 * PAD);
    this.ox = (this.w - vw * k) / 2;
    this.oy = (this.h - vh * k) / 2;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = this.w * dpr;
    this.canvas.height = this.h * dpr;
    this.canvas.style.width = `${this.w}px`;
    this.canvas.style.height = `${this.h}px`;
    this.base = null;
  }

  show(on) {
    this.canvas.hidden = !on;
    this.on = on;
    if (on) this.paint();
  }

  /** The centre of the box nearest minimap point (px, py): a click never lands on empty space. */
  nearest(px, py) {
    const x = (px - this.ox) / this.k;
    const y = (py - this.oy) / this.k;
    let best = null;
    let bd = Infinity;
    for (const vn of this.view.nodes) {
      const d = (vn.x - x) ** 2 + (vn.y - y) ** 2;
      if (d < bd) { bd = d; best = vn; }
    }
    return best ? [best.x, best.y] : [x, y];
  }

  drawBase() {
    const cs = getComputedStyle(this.canvas);
    const color = (n) => cs.getPropertyValue(n).trim();
    const dpr = this.canvas.width / this.w;
    const base = document.createElement('canvas');
    base.width = this.canvas.width;
    base.height = this.canvas.height;
    const ctx = base.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = color('--panel');
    ctx.fillRect(0, 0, this.w, this.h);
    ctx.setTransform(dpr * this.k, 0, 0, dpr * this.k, dpr * this.ox, dpr * this.oy);
    const min = 1.5 / this.k; // every box at least 1.5 px, so a thin chain still shows
    const fills = { value: color('--op-stroke'), op: color('--opnode-stroke'), group: color('--par-stroke') };
    for (const kind of Object.keys(fills)) {
      ctx.fillStyle = fills[kind];
      ctx.beginPath();
      for (const vn of this.view.nodes) {
        if (vn.kind !== kind) continue;
        const w = Math.max(vn.width, min);
        const h = Math.max(vn.height, min);
        ctx.rect(vn.x - w / 2, vn.y - h / 2, w, h);
      }
      ctx.fill();
    }
    this.base = base;
    this.theme = document.documentElement.dataset.theme;
  }

  /** The picture, the stage's rectangle and the step's node (once a frame, from GraphView). */
  paint() {
    if (!this.on || !this.view) return;
    if (!this.base || this.theme !== document.documentElement.dataset.theme) this.drawBase();
    const ctx = this.canvas.getContext('2d');
    const dpr = this.canvas.width / this.w;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.base, 0, 0);
    const gv = this.gv;
    const [x0, y0, x1, y1] = gv.visibleRect();
    const accent = getComputedStyle(this.canvas).getPropertyValue('--accent').trim();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const rx = this.ox + x0 * this.k;
    const ry = this.oy + y0 * this.k;
    // the stage's rectangle, at least 6 px so it is found on a 5,000-node graph
    const rw = Math.max((x1 - x0) * this.k, 6);
    const rh = Math.max((y1 - y0) * this.k, 6);
    ctx.fillStyle = 'rgba(242, 102, 13, 0.12)';
    ctx.fillRect(rx, ry, rw, rh);
    ctx.strokeStyle = accent;
    ctx.lineWidth = 2;
    ctx.strokeRect(rx, ry, rw, rh);
    this.canvas.dataset.viewport = [x0, y0, x1, y1].map((v) => Math.round(v)).join(',');
    if (gv.cur >= 0) {
      const vn = gv.boxOf(gv.cur);
      if (vn) {
        ctx.fillStyle = accent;
        ctx.beginPath();
        ctx.arc(this.ox + vn.x * this.k, this.oy + vn.y * this.k, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
}
