/**
 * Export what the stage shows: the graph at the current step as an SVG or a PNG (highlights,
 * values and theme included, framed as on screen), and the page itself as one HTML file that
 * plays the graph offline (built by the server from the graph the page holds: docs/api.md,
 * Export). Downloads only; nothing here changes the page.
 */
import * as api from './api.js';
import { arrow } from './canvas.js';

const SVGNS = 'http://www.w3.org/2000/svg';

/** The page's own CSS rules, so the file looks like the screen (the sheet is same-origin). */
function pageCss() {
  const rules = [];
  for (const sheet of document.styleSheets) {
    try {
      for (const r of sheet.cssRules) rules.push(r.cssText);
    } catch {
      // a sheet the page may not read: skipped
    }
  }
  return rules.join('\n');
}

/** The canvas a big graph is painted on (edges, op nodes, boxes out of the DOM), when it shows. */
function graphCanvas(svg) {
  const c = svg.parentElement?.querySelector('canvas.graph-canvas');
  return svg.classList.contains('big') && c && c.width ? c : null;
}

/** The stage's SVG as a standalone file: its size, its transform, the theme, a background. */
export function svgOfView(svg) {
  const r = svg.getBoundingClientRect();
  const w = Math.round(r.width);
  const h = Math.round(r.height);
  const clone = svg.cloneNode(true);
  clone.setAttribute('xmlns', SVGNS);
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  clone.setAttribute('viewBox', `0 0 ${w} ${h}`);
  clone.removeAttribute('style');
  clone.setAttribute('data-theme', document.documentElement.dataset.theme || 'light');
  const style = document.createElementNS(SVGNS, 'style');
  style.textContent = `${pageCss()}\nsvg{position:static}`;
  const bg = document.createElementNS(SVGNS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('style', 'fill: var(--bg)');
  const drawn = graphCanvas(svg);
  if (drawn) { // a big graph: what the canvas shows under the records in view
    const img = document.createElementNS(SVGNS, 'image');
    for (const [k, v] of [['width', w], ['height', h], ['href', drawn.toDataURL('image/png')]]) img.setAttribute(k, String(v));
    clone.insertBefore(img, clone.firstChild);
  }
  clone.insertBefore(bg, clone.firstChild);
  clone.insertBefore(style, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

/**
 * The same picture as a PNG at twice the screen's pixels (crisp on slides). The records are
 * HTML in foreignObjects, which taint a canvas they are drawn into as an image; so the PNG
 * is painted here from what the screen shows: each element's box, colours, borders and text
 * from its computed style, the edges from their paths.
 */
export async function pngOfView(svg) {
  const r = svg.getBoundingClientRect();
  const k = 2;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(r.width * k);
  canvas.height = Math.round(r.height * k);
  const ctx = canvas.getContext('2d');
  ctx.scale(k, k);
  ctx.fillStyle = getComputedStyle(svg.parentElement).backgroundColor || '#fff';
  ctx.fillRect(0, 0, r.width, r.height);
  const drawn = graphCanvas(svg);
  if (drawn) ctx.drawImage(drawn, 0, 0, r.width, r.height); // a big graph's edges, op nodes and boxes
  const vp = svg.querySelector('.viewport');
  if (vp) {
    const m = new DOMMatrix(getComputedStyle(vp).transform);
    for (const el of vp.querySelectorAll('path, ellipse, rect')) paintShape(ctx, el, m, svg);
    for (const el of vp.querySelectorAll('.rec, .rec > span')) paintBox(ctx, el, r, svg);
    for (const el of vp.querySelectorAll('text, .rec span, .rec i, .rec b')) paintText(ctx, el, r, svg, Math.hypot(m.a, m.b));
  }
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no PNG'))), 'image/png'));
}

/** The opacity the eye sees: the element's own times its ancestors' up to the svg. */
function opacityOf(el, svg) {
  let o = 1;
  for (let e = el; e && e !== svg; e = e.parentElement) o *= Number(getComputedStyle(e).opacity || 1);
  return o;
}

const visible = (cs) => cs.display !== 'none' && cs.visibility !== 'hidden';
const painted = (c) => c && c !== 'none' && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c);

/** An edge, an op node's ellipse or a collapsed box, in layout coordinates through the viewport's transform. */
function paintShape(ctx, el, m, svg) {
  const cs = getComputedStyle(el);
  if (!visible(cs) || el.closest('foreignObject, marker')) return;
  ctx.save();
  ctx.globalAlpha = opacityOf(el, svg);
  const local = el.closest('[transform]') && el.closest('[transform]') !== el.closest('.viewport')
    ? el.closest('[transform]').transform.baseVal.consolidate()?.matrix : null;
  const t = local ? m.multiply(DOMMatrix.fromMatrix(local)) : m;
  ctx.transform(t.a, t.b, t.c, t.d, t.e, t.f);
  const path = new Path2D();
  if (el.tagName === 'path') path.addPath(new Path2D(el.getAttribute('d') || ''));
  else if (el.tagName === 'ellipse') {
    const [cx, cy, rx, ry] = ['cx', 'cy', 'rx', 'ry'].map((a) => Number(el.getAttribute(a)));
    path.ellipse(cx, cy, rx, ry, 0, 0, 2 * Math.PI);
  } else {
    const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(el.getAttribute(a) || 0));
    const rx = Number(el.getAttribute('rx') || 0);
    path.roundRect(x, y, w, h, rx);
  }
  if (painted(cs.fill) && el.tagName !== 'path') {
    ctx.fillStyle = cs.fill;
    ctx.fill(path);
  }
  if (painted(cs.stroke)) {
    ctx.strokeStyle = cs.stroke;
    ctx.lineWidth = parseFloat(cs.strokeWidth) || 1;
    const dash = cs.strokeDasharray && cs.strokeDasharray !== 'none' ? cs.strokeDasharray.split(/[\s,]+/).map(parseFloat) : [];
    ctx.setLineDash(dash.filter((x) => !Number.isNaN(x)));
    ctx.stroke(path);
    if (el.classList.contains('e')) arrowheadOf(ctx, el, cs.stroke);
  }
  ctx.restore();
}

/** An edge's arrowhead as the screen's marker draws it (10 layout units, the edge's colour). */
function arrowheadOf(ctx, el, colour) {
  const length = el.getTotalLength();
  if (!(length > 1)) return;
  const end = el.getPointAtLength(length);
  const before = el.getPointAtLength(length - 1);
  ctx.setLineDash([]);
  ctx.beginPath();
  arrow(ctx, [[before.x, before.y], [end.x, end.y]], 10);
  ctx.fillStyle = colour;
  ctx.fill();
}

/** A record or one of its cells: background, border, rounded as on screen (screen coordinates). */
function paintBox(ctx, el, r, svg) {
  const cs = getComputedStyle(el);
  if (!visible(cs)) return;
  const b = el.getBoundingClientRect();
  const x = b.left - r.left;
  const y = b.top - r.top;
  ctx.save();
  ctx.globalAlpha = opacityOf(el, svg);
  const radius = parseFloat(cs.borderTopLeftRadius) || 0;
  const path = new Path2D();
  path.roundRect(x, y, b.width, b.height, radius);
  if (painted(cs.backgroundColor)) {
    ctx.fillStyle = cs.backgroundColor;
    ctx.fill(path);
  }
  const bw = parseFloat(cs.borderTopWidth) || 0;
  if (bw && cs.borderTopStyle !== 'none' && el.classList.contains('rec')) {
    ctx.strokeStyle = cs.borderTopColor;
    ctx.lineWidth = bw;
    ctx.setLineDash(cs.borderTopStyle === 'dashed' ? [4, 3] : []);
    ctx.stroke(path);
  } else if (parseFloat(cs.borderLeftWidth) > 0) { // the line between two cells
    ctx.fillStyle = cs.borderLeftColor;
    ctx.fillRect(x, y, parseFloat(cs.borderLeftWidth), b.height);
  }
  if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) { // a highlight
    const ow = parseFloat(cs.outlineWidth);
    const off = parseFloat(cs.outlineOffset) || 0;
    ctx.strokeStyle = cs.outlineColor;
    ctx.lineWidth = ow;
    ctx.strokeRect(x - off - ow / 2, y - off - ow / 2, b.width + 2 * off + ow, b.height + 2 * off + ow);
  }
  ctx.restore();
}

/** The text of an element that holds text itself (not only child elements), where and as large as the screen shows it. */
function paintText(ctx, el, r, svg, scale) {
  const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
  if (!own.trim()) return;
  const cs = getComputedStyle(el);
  if (!visible(cs)) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  const b = range.getBoundingClientRect();
  if (!b.width) return;
  ctx.save();
  ctx.globalAlpha = opacityOf(el, svg);
  ctx.fillStyle = el instanceof SVGElement ? cs.fill : cs.color;
  // the computed size is the layout's: the screen shows it through the viewport's zoom
  ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${parseFloat(cs.fontSize) * scale}px ${cs.fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText(own, b.left - r.left, b.top - r.top + b.height / 2, b.width + 2);
  ctx.restore();
}

/** The page with `state` ({graph, mode, source|spec, language, pos, view}) as one offline HTML file. */
export async function htmlOfPage(state) {
  return new Blob([await api.exportPage(state)], { type: 'text/html' });
}

/** Save `blob` as `name` (the browser's download). */
export function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
