/**
 * The canvas painting of a big graph (render.js): edges, op nodes and the boxes of value nodes
 * that have no DOM record (those in view have one, drawn over the canvas). Only what is on
 * screen is painted, in a few batched paths, so a frame costs about a millisecond at readable
 * scale and a few when 5,000 nodes are in view.
 */

const FILL = { input: 'in-fill', param: 'par-fill', const: 'const-fill' };
const STROKE = { input: 'in-stroke', param: 'par-stroke', const: 'const-stroke' };
const FLOW = { 'flow-fwd': 'fwd', 'flow-back': 'accent', lit: 'accent' };

/** An op node's symbol size: fits its ellipse (the SVG drawing uses it too). */
export function opFontSize(sym, w, h) {
  return Math.min(16, h * 0.5, (w * 1.5) / Math.max(1, sym.length));
}

/** Trace an edge's polyline as render.js's pathOf does: straight ends, quadratic bends. */
function trace(ctx, pts) {
  ctx.moveTo(pts[0][0], pts[0][1]);
  if (pts.length === 2) return ctx.lineTo(pts[1][0], pts[1][1]);
  for (let k = 1; k < pts.length - 1; k++) {
    const [x, y] = pts[k];
    const [nx, ny] = pts[k + 1];
    const last = k === pts.length - 2;
    ctx.quadraticCurveTo(x, y, last ? nx : (x + nx) / 2, last ? ny : (y + ny) / 2);
  }
}

/** A path's arrowhead: a triangle of side `size` at pts' last point, along its last segment. */
export function arrow(ctx, pts, size) {
  const [x, y] = pts[pts.length - 1];
  const [px, py] = pts[pts.length - 2];
  const a = Math.atan2(y - py, x - px);
  ctx.moveTo(x, y);
  ctx.lineTo(x - size * Math.cos(a - 0.45), y - size * Math.sin(a - 0.45));
  ctx.lineTo(x - size * Math.cos(a + 0.45), y - size * Math.sin(a + 0.45));
  ctx.closePath();
}

/** Paint GraphView `gv`'s big view on `ctx` at its pan and zoom. */
export function paintCanvas(ctx, gv) {
  const c = gv.colors;
  const dpr = gv.canvas.width / gv.width;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, gv.canvas.width, gv.canvas.height);
  const s = gv.scale;
  ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * gv.tx, dpr * gv.ty);
  const [x0, y0, x1, y1] = gv.visibleRect(20);
  const { view, g } = gv;
  const seen = (ax, ay, bx, by) => !(Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1);

  // edges, then the step's flow on top
  const heads = s * 7 >= 2.5;
  ctx.lineWidth = 1.4;
  ctx.strokeStyle = c.edge;
  ctx.fillStyle = c.edge;
  ctx.beginPath();
  const tips = [];
  const on = [];
  view.edges.forEach((e, k) => {
    const pts = e.points;
    if (!pts || pts.length < 2 || !seen(pts[0][0], pts[0][1], pts[pts.length - 1][0], pts[pts.length - 1][1])) return;
    if (gv.flow.has(k)) { on.push([pts, gv.flow.get(k)]); return; }
    trace(ctx, pts);
    if (heads) tips.push(pts);
  });
  ctx.stroke();
  if (tips.length) {
    ctx.beginPath();
    for (const pts of tips) arrow(ctx, pts, 7);
    ctx.fill();
  }
  for (const [pts, kind] of on) {
    ctx.lineWidth = 3.2;
    ctx.strokeStyle = ctx.fillStyle = c[FLOW[kind]];
    ctx.setLineDash(kind === 'lit' ? [] : [9, 6]);
    ctx.beginPath();
    trace(ctx, pts);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    arrow(ctx, pts, 8);
    ctx.fill();
  }

  // op nodes and the value boxes without a record
  const ops = [];
  const boxes = {};
  for (const vn of view.nodes) {
    const hw = vn.width / 2;
    const hh = vn.height / 2;
    if (vn.x + hw < x0 || vn.x - hw > x1 || vn.y + hh < y0 || vn.y - hh > y1) continue;
    if (vn.kind === 'op') { ops.push(vn); continue; }
    const i = g.idx.get(vn.id);
    if (gv.records.has(i)) continue;
    const role = g.nodes[i].role;
    (boxes[role] ||= []).push(vn);
  }
  ctx.lineWidth = 1.4;
  for (const [role, list] of Object.entries(boxes)) {
    ctx.fillStyle = c[FILL[role] || 'op-fill'];
    ctx.strokeStyle = c[STROKE[role] || 'op-stroke'];
    ctx.beginPath();
    for (const vn of list) ctx.rect(vn.x - vn.width / 2, vn.y - vn.height / 2, vn.width, vn.height);
    ctx.fill();
    ctx.stroke();
  }
  ctx.fillStyle = c['opnode-fill'];
  ctx.strokeStyle = c['opnode-stroke'];
  ctx.beginPath();
  for (const vn of ops) {
    ctx.moveTo(vn.x + vn.width / 2, vn.y);
    ctx.ellipse(vn.x, vn.y, vn.width / 2, vn.height / 2, 0, 0, 2 * Math.PI);
  }
  ctx.fill();
  ctx.stroke();
  if (s * 12 >= 5) { // op symbols once they can be read
    ctx.fillStyle = c.ink;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    let font = '';
    for (const vn of ops) {
      const n = g.nodes[g.idx.get(vn.id.replace(/:op$/, ''))];
      const sym = n?.symbol || n?.op || '?';
      const f = `700 ${Math.round(opFontSize(sym, vn.width, vn.height))}px ui-monospace, "DejaVu Sans Mono", monospace`;
      if (f !== font) ctx.font = font = f;
      ctx.fillText(sym, vn.x, vn.y);
    }
  }
  // the step's node and operands, when they have no record (zoomed far out)
  ctx.strokeStyle = c.accent;
  for (const [i, width] of [[gv.cur, 4], ...[...gv.hits].map((j) => [j, 3])]) {
    if (i < 0 || gv.records.has(i)) continue;
    const vn = gv.boxOf(i);
    if (!vn) continue;
    ctx.lineWidth = width / Math.min(1, s); // stays visible far out
    ctx.strokeRect(vn.x - vn.width / 2, vn.y - vn.height / 2, vn.width, vn.height);
  }
  // op node of the step
  if (gv.cur >= 0) {
    const vn = gv.byId.get(`${g.nodes[gv.cur].id}:op`);
    if (vn) {
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.ellipse(vn.x, vn.y, vn.width / 2, vn.height / 2, 0, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
}
