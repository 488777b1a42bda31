/**
 * The MLP form (layers, activations, loss, dataset preset or pasted samples, learning rate,
 * steps, seed, initialisation, L2 penalty), pre-filled with the lecture's 3-4-4-1 network and its four samples, and the
 * loss-history chart (inline SVG) with a slider over training steps.
 */
import { fmt } from './format.js';

// micrograd lecture (seeds 001/002): MLP(3, [4, 4, 1]) on four samples, summed squared error.
export const DEFAULT_SPEC = {
  nin: 3,
  layers: [4, 4, 1],
  activation: 'tanh',
  output_activation: 'tanh',
  loss: 'sse',
  dataset: null,
  inputs: [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]],
  targets: [1.0, -1.0, -1.0, 1.0],
  learning_rate: 0.05,
  steps: 20,
  seed: 42,
  init: 'uniform',
  l2: 0,
};


class FormError extends Error {}

function parseNumber(tok, where) {
  const x = Number(tok);
  if (tok === '' || !Number.isFinite(x)) throw new FormError(`${where}: '${tok}' is not a number`);
  return x;
}

/** "[[2, 3, -1], [3, -1, 0.5]]" or one sample per line -> rows of numbers. */
function parseRows(text, where) {
  const flat = text.replace(/\]\s*,/g, '\n').replace(/[[\]]/g, ' ');
  return flat.split('\n').map((l) => l.trim()).filter(Boolean)
    .map((l, k) => l.split(/[\s,]+/).filter(Boolean).map((t) => parseNumber(t, `${where} line ${k + 1}`)));
}

const rowsText = (rows) => rows.map((r) => (Array.isArray(r) ? r.join(', ') : String(r))).join('\n');

export class MlpForm {
  constructor(root, { onSlide }) {
    this.root = root;
    this.f = (name) => root.querySelector(`[name="${name}"]`);
    this.chart = root.querySelector('.chart');
    this.slider = root.querySelector('[name="train-step"]');
    this.sliderOut = root.querySelector('.train-step-out');
    this.history = null;
    this.slider.addEventListener('input', () => this.drawChart());
    this.slider.addEventListener('change', () => onSlide(Number(this.slider.value)));
    this.f('dataset').addEventListener('change', () => this.syncDataset());
    this.setSpec(DEFAULT_SPEC);
  }

  setDatasets(list) {
    const sel = this.f('dataset');
    const keep = sel.value;
    for (const d of list) {
      const name = typeof d === 'string' ? d : d.name;
      if (!name || sel.querySelector(`option[value="${CSS.escape(name)}"]`)) continue;
      const o = document.createElement('option');
      o.value = name;
      o.textContent = typeof d === 'string' ? name : `${d.title || name}${d.samples || d.inputs ? ` (${d.samples ?? d.inputs.length} samples)` : ''}`;
      sel.appendChild(o);
    }
    sel.value = keep;
  }

  syncDataset() {
    const preset = this.f('dataset').value !== '';
    this.root.querySelector('.samples').hidden = preset;
  }

  setSpec(s) {
    const spec = { ...DEFAULT_SPEC, ...s };
    this.f('nin').value = spec.nin;
    this.f('layers').value = spec.layers.join(', ');
    this.f('activation').value = spec.activation;
    this.f('output_activation').value = spec.output_activation;
    this.f('loss').value = spec.loss;
    this.f('dataset').value = spec.dataset || '';
    if (spec.dataset && this.f('dataset').value !== spec.dataset) {
      const o = document.createElement('option');
      o.value = o.textContent = spec.dataset;
      this.f('dataset').appendChild(o);
      this.f('dataset').value = spec.dataset;
    }
    this.f('inputs').value = rowsText(spec.inputs || []);
    this.f('targets').value = rowsText(spec.targets || []);
    this.f('learning_rate').value = spec.learning_rate;
    this.f('steps').value = spec.steps;
    this.f('seed').value = spec.seed;
    this.f('init').value = spec.init;
    this.f('l2').value = spec.l2;
    this.syncDataset();
  }

  /** The form as an API request body (throws FormError with a readable message). */
  getSpec() {
    const int = (name, min) => {
      const v = this.f(name).value.trim();
      if (!/^\d+$/.test(v) || Number(v) < min) throw new FormError(`${name.replace('_', ' ')}: a whole number ≥ ${min}, not '${v}'`);
      return Number(v);
    };
    const layers = this.f('layers').value.split(/[\s,]+/).filter(Boolean).map((t) => {
      if (!/^\d+$/.test(t) || Number(t) < 1) throw new FormError(`layers: '${t}' is not a layer size (e.g. 4, 4, 1)`);
      return Number(t);
    });
    if (!layers.length) throw new FormError('layers: give at least one layer size, e.g. 4, 4, 1');
    const spec = {
      nin: int('nin', 1),
      layers,
      activation: this.f('activation').value,
      output_activation: this.f('output_activation').value,
      loss: this.f('loss').value,
      learning_rate: parseNumber(this.f('learning_rate').value.trim(), 'learning rate'),
      steps: int('steps', 0),
      seed: int('seed', 0),
      init: this.f('init').value,
      l2: parseNumber(this.f('l2').value.trim(), 'L2 penalty'),
    };
    if (spec.l2 < 0) throw new FormError(`L2 penalty: ${spec.l2} is negative; use 0 for none`);
    const ds = this.f('dataset').value;
    if (ds) {
      spec.dataset = ds;
    } else {
      spec.inputs = parseRows(this.f('inputs').value, 'inputs');
      const rows = parseRows(this.f('targets').value, 'targets');
      const nout = layers[layers.length - 1];
      spec.targets = nout === 1 || spec.loss === 'cross_entropy' ? rows.flat() : rows;
      const bad = spec.inputs.findIndex((r) => r.length !== spec.nin);
      if (bad >= 0) throw new FormError(`inputs line ${bad + 1}: ${spec.inputs[bad].length} numbers, but the network takes ${spec.nin} inputs`);
    }
    return spec;
  }

  /** Show a training run's loss history; the slider spans its steps. */
  setHistory(history, at) {
    this.history = history.map(Number);
    this.slider.max = String(Math.max(0, history.length - 1));
    this.slider.value = String(at ?? history.length - 1);
    this.slider.disabled = history.length < 2;
    this.drawChart();
  }

  drawChart() {
    const h = this.history;
    const svg = this.chart;
    svg.replaceChildren();
    if (!h || !h.length) return;
    const W = 300;
    const H = 120;
    const pad = { l: 44, r: 8, t: 10, b: 20 };
    const finite = h.filter(Number.isFinite);
    const lo = Math.min(0, ...finite);
    const hi = Math.max(...finite, lo + 1e-9);
    const x = (k) => pad.l + ((W - pad.l - pad.r) * k) / Math.max(1, h.length - 1);
    const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - (v - lo) / (hi - lo));
    const k = Number(this.slider.value);
    const pts = h.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : hi).toFixed(1)}`).join(' ');
    svg.innerHTML =
      `<line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/>` +
      `<line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>` +
      `<text class="tick" x="${pad.l - 4}" y="${pad.t + 4}" text-anchor="end">${hi.toPrecision(3)}</text>` +
      `<text class="tick" x="${pad.l - 4}" y="${H - pad.b}" text-anchor="end">${lo.toPrecision(3)}</text>` +
      `<text class="tick" x="${W - pad.r}" y="${H - 4}" text-anchor="end">step ${h.length - 1}</text>` +
      `<polyline class="loss" points="${pts}"/>` +
      `<line class="cursor" x1="${x(k)}" y1="${pad.t}" x2="${x(k)}" y2="${H - pad.b}"/>` +
      `<circle class="dot" cx="${x(k)}" cy="${y(Number.isFinite(h[k]) ? h[k] : hi)}" r="4"/>`;
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    this.sliderOut.textContent = `after ${k} update${k === 1 ? '' : 's'}: loss ${fmt(h[k])}`;
  }
}

export { FormError };
