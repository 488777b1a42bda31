/**
 * What a trained MLP learned, beside its graph (docs/api.md, MLP): the decision boundary as a
 * heat map with the data points (2-D data), accuracy beside the loss, the gradient flow per
 * layer over the steps (where vanishing and exploding gradients show), and the files a
 * network comes and goes in: data as CSV, the trained net as JSON. Pure drawing and parsing
 * over the API's answer; no fetching.
 */
import { fmt } from './format.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const LAYER_COLOURS = ['#2563eb', '#f2660d', '#12813d', '#8049e8', '#c2262b', '#0891b2'];
const CLASS_COLOURS = [[37, 99, 235], [242, 102, 13], [18, 129, 61], [128, 73, 232], [194, 38, 43], [8, 145, 178], [202, 138, 4], [219, 39, 119], [82, 82, 91], [101, 163, 13]];

/** A y axis that may be logarithmic: [lo, hi] and a mapping to pixels. */
function scale(values, { log, lo: lo0 } = {}) {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!vs.length) return null;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (!log && lo0 !== undefined) lo = Math.min(lo, lo0);
  if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
  if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
  const t = (v) => (log ? Math.log10(Math.max(v, 10 ** lo)) : v);
  return { lo, hi, frac: (v) => (t(v) - lo) / (hi - lo), label: (x) => (log ? (10 ** x).toExponential(1) : x.toPrecision(3)) };
}

/**
 * Draw lines (one per series) over steps into `svg`, with hover: the value of every series at
 * the step under the pointer. series: [{name, values, colour}].
 */
export function lineChart(svg, series, { log = false, cursor = null, title = '', lo } = {}) {
  const W = 300;
  const H = 130;
  const pad = { l: 46, r: 8, t: 14, b: 20 };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const n = Math.max(...series.map((s) => s.values.length));
  const sc = scale(series.flatMap((s) => s.values), { log, lo });
  if (!sc || n < 1) { svg.innerHTML = ''; return; }
  const x = (k) => pad.l + ((W - pad.l - pad.r) * k) / Math.max(1, n - 1);
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - sc.frac(v));
  const parts = [
    `<text class="tick title" x="${pad.l}" y="10">${esc(title)}</text>`,
    `<line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/>`,
    `<line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>`,
    `<text class="tick" x="${pad.l - 4}" y="${pad.t + 4}" text-anchor="end">${sc.label(sc.hi)}</text>`,
    `<text class="tick" x="${pad.l - 4}" y="${H - pad.b}" text-anchor="end">${sc.label(sc.lo)}</text>`,
    `<text class="tick" x="${W - pad.r}" y="${H - 4}" text-anchor="end">step ${n - 1}</text>`,
  ];
  for (const s of series) {
    const pts = s.values.map((v, k) => (Number.isFinite(v) && (!log || v > 0) ? `${x(k).toFixed(1)},${y(v).toFixed(1)}` : null)).filter(Boolean).join(' ');
    parts.push(`<polyline class="series" style="stroke:${s.colour}" points="${pts}"><title>${esc(s.name)}</title></polyline>`);
  }
  if (cursor !== null) parts.push(`<line class="cursor" x1="${x(cursor)}" y1="${pad.t}" x2="${x(cursor)}" y2="${H - pad.b}"/>`);
  parts.push(`<line class="hover" x1="0" y1="${pad.t}" x2="0" y2="${H - pad.b}" visibility="hidden"/>`);
  parts.push(`<text class="tick hover-text" x="${W - pad.r}" y="10" text-anchor="end"></text>`);
  svg.innerHTML = parts.join('');
  const hover = svg.querySelector('.hover');
  const text = svg.querySelector('.hover-text');
  svg.onpointermove = (ev) => {
    const r = svg.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * W;
    const k = Math.max(0, Math.min(n - 1, Math.round(((px - pad.l) / (W - pad.l - pad.r)) * (n - 1))));
    hover.setAttribute('x1', x(k));
    hover.setAttribute('x2', x(k));
    hover.setAttribute('visibility', 'visible');
    text.textContent = `step ${k}: ${series.map((s) => `${series.length > 1 ? `${s.name} ` : ''}${fmt(s.values[k])}`).join(', ')}`;
  };
  svg.onpointerleave = () => {
    hover.setAttribute('visibility', 'hidden');
    text.textContent = '';
  };
}

/** The gradient flow: per layer, the mean |grad| of its parameters at each step (log scale), a dashed line at `cursor`. */
export function gradFlowChart(svg, gradNorms, cursor = null) {
  const series = gradNorms.map((values, k) => ({ name: `layer ${k + 1}`, values: values.map(Number), colour: LAYER_COLOURS[k % LAYER_COLOURS.length] }));
  lineChart(svg, series, { log: true, cursor, title: 'mean |grad| per layer (log)' });
}

/**
 * The decision boundary: the model's output on its grid as a heat map (two classes: the
 * sign's colour, paler near 0; several: the class's colour), the samples as dots on top.
 */
export function drawBoundary(canvas, boundary, points) {
  const { x, y, z, kind } = boundary;
  const nx = x.length;
  const ny = y.length;
  const size = canvas.width;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(nx, ny);
  const zmax = kind === 'class' ? 1 : Math.max(1e-9, ...z.flat().map((v) => Math.abs(Number(v))).filter(Number.isFinite));
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const v = Number(z[i][j]);
      let rgb;
      let a;
      if (kind === 'class') {
        rgb = CLASS_COLOURS[v % CLASS_COLOURS.length] || [128, 128, 128];
        a = 0.35;
      } else {
        rgb = v >= 0 ? CLASS_COLOURS[1] : CLASS_COLOURS[0];
        a = 0.12 + 0.5 * Math.min(1, Math.abs(v) / zmax);
      }
      const p = 4 * ((ny - 1 - i) * nx + j); // y grows upwards on the plot
      img.data[p] = 255 - (255 - rgb[0]) * a;
      img.data[p + 1] = 255 - (255 - rgb[1]) * a;
      img.data[p + 2] = 255 - (255 - rgb[2]) * a;
      img.data[p + 3] = 255;
    }
  }
  const tmp = document.createElement('canvas');
  tmp.width = nx;
  tmp.height = ny;
  tmp.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, size, size);
  ctx.drawImage(tmp, 0, 0, size, size);
  const px = (v) => ((v - x[0]) / (x[nx - 1] - x[0])) * size;
  const py = (v) => size - ((v - y[0]) / (y[ny - 1] - y[0])) * size;
  for (const { input, target } of points) {
    const cls = kind === 'class' ? target : target > 0 ? 1 : 0;
    const rgb = CLASS_COLOURS[cls % CLASS_COLOURS.length];
    ctx.beginPath();
    ctx.arc(px(input[0]), py(input[1]), 4, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${rgb.join(',')})`;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  canvas.dataset.points = String(points.length);
}

/** CSV text -> {inputs, targets}: header optional, the last column the target. */
export function parseCsv(text) {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!rows.length) throw new Error('the CSV is empty');
  const cells = rows.map((l) => l.split(/\s*[,;\t]\s*/));
  if (cells[0].some((c) => c === '' || Number.isNaN(Number(c)))) cells.shift(); // a header
  if (!cells.length) throw new Error('the CSV has a header but no rows');
  const width = cells[0].length;
  if (width < 2) throw new Error('each row needs at least one input and a target (the last column)');
  const inputs = [];
  const targets = [];
  cells.forEach((row, k) => {
    if (row.length !== width) throw new Error(`CSV row ${k + 1}: ${row.length} columns, the first row has ${width}`);
    const nums = row.map(Number);
    const bad = nums.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`CSV row ${k + 1}, column ${bad + 1}: '${row[bad]}' is not a number`);
    inputs.push(nums.slice(0, -1));
    targets.push(nums[nums.length - 1]);
  });
  return { inputs, targets };
}

/** Samples -> CSV text with a header: x1, ..., xn, target. */
export function toCsv(inputs, targets) {
  const n = inputs[0]?.length || 0;
  const head = [...Array.from({ length: n }, (_, k) => `x${k + 1}`), 'target'].join(',');
  return [head, ...inputs.map((r, k) => [...r, targets[k]].join(','))].join('\n') + '\n';
}

/** A trained net as a file: its spec and its parameters, enough to reproduce its loss exactly. */
export function netFile(spec, result) {
  const parameters = result.parameters.map((p) => Number(p.data));
  return { gradwalk: 'mlp', version: 1, spec, parameters, loss: Number(result.loss) };
}

/**
 * A net file -> the spec that rebuilds it (its parameters as initial_parameters, no training).
 * The seed stays: the parameters win over it, but it draws a dataset's samples (moons' noise)
 * and the held-out split, so without it the net would be reloaded onto other samples.
 */
export function specFromNetFile(file) {
  if (!file || file.gradwalk !== 'mlp' || !file.spec || !Array.isArray(file.parameters)) {
    throw new Error('not a gradwalk net file (it needs "gradwalk": "mlp", "spec" and "parameters")');
  }
  return { ...file.spec, initial_parameters: file.parameters, steps: 0 };
}

export { SVGNS };
