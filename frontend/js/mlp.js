/**
 * The MLP form (layers, activations, loss, dataset preset or pasted samples, learning rate,
 * steps, seed, initialisation, L2 penalty), pre-filled with the lecture's 3-4-4-1 network and its four samples, and the
 * loss-history chart (inline SVG) with a slider over the training steps recorded.
 */
import { fmt } from './format.js';
import { lineChart } from './studio.js';

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
  batch_size: null,
  learning_rate_end: null,
  holdout: 0,
  graph_samples: null,
};

// What the page asks of the server's graph for a big dataset: the first few samples' graph
// (training still uses every sample), so 100 moons do not draw 66,000 boxes.
const GRAPH_SAMPLES = 4;

/** The `graph_samples` the page asks for `n` samples: all of a few, the first 4 of many. */
export const graphSamplesFor = (n) => (n > 2 * GRAPH_SAMPLES ? GRAPH_SAMPLES : null);


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
    this.chart = root.querySelector('[data-testid="loss-chart"]');
    this.slider = root.querySelector('[name="train-step"]');
    this.sliderOut = root.querySelector('.train-step-out');
    this.history = null;
    this.accuracy = null;
    this.recorded = null; // the steps the slider offers (their parameters were recorded)
    this.presets = new Map(); // dataset name -> its summary (suggested spec, samples, nin)
    this.initialParameters = null; // a loaded net's parameters, until the form is edited
    root.querySelector('#loss-log').addEventListener('change', () => this.drawChart());
    root.addEventListener('input', (ev) => { if (ev.target.name !== 'train-step') this.initialParameters = null; });
    this.slider.addEventListener('input', () => this.drawChart());
    this.slider.addEventListener('change', () => onSlide(this.step()));
    this.f('dataset').addEventListener('change', () => this.pickPreset());
    this.setSpec(DEFAULT_SPEC);
  }

  setDatasets(list) {
    const sel = this.f('dataset');
    const keep = sel.value;
    for (const d of list) {
      const name = typeof d === 'string' ? d : d.name;
      if (typeof d !== 'string') this.presets.set(name, d);
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

  /** A preset picked: its suggested spec fills the form (layers, activations, loss, rates, steps...). */
  pickPreset() {
    const d = this.presets.get(this.f('dataset').value);
    if (d?.suggested) {
      const graph = d.suggested.graph_samples ?? graphSamplesFor(d.samples);
      this.setSpec({ ...DEFAULT_SPEC, ...d.suggested, graph_samples: graph, dataset: d.name, inputs: [], targets: [] });
    }
    this.syncDataset();
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
    this.f('batch_size').value = spec.batch_size ?? '';
    this.f('learning_rate_end').value = spec.learning_rate_end ?? '';
    this.f('holdout').value = spec.holdout || '';
    this.f('graph_samples').value = spec.graph_samples ?? '';
    this.initialParameters = spec.initial_parameters || null;
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
    const optional = (name, parse) => {
      const v = this.f(name).value.trim();
      return v === '' ? null : parse(v);
    };
    spec.batch_size = optional('batch_size', () => int('batch_size', 1));
    spec.learning_rate_end = optional('learning_rate_end', (v) => parseNumber(v, 'decaying to'));
    spec.holdout = optional('holdout', (v) => parseNumber(v, 'held out')) ?? 0;
    if (spec.holdout < 0 || spec.holdout >= 1) throw new FormError(`held out: a fraction from 0 up to (not including) 1, not ${spec.holdout}`);
    spec.graph_samples = optional('graph_samples', () => int('graph_samples', 1));
    // a loaded net: its own parameters, not the seed's; the seed stays, as it draws the
    // dataset's samples (moons' noise) and the held-out split the net's loss is over
    if (this.initialParameters) spec.initial_parameters = this.initialParameters;
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

  /**
   * Show a training run's loss history (and accuracy). The slider offers the steps whose
   * parameters were recorded (`recorded`, ascending; the server's parameter_steps): moving
   * it shows that step's graph, rebuilt from them. No record: the slider only shows the end.
   */
  setHistory(history, at, accuracy = null, recorded = null) {
    this.history = history.map(Number);
    this.accuracy = accuracy ? accuracy.map(Number) : null;
    this.recorded = recorded?.length ? recorded.map(Number) : [this.history.length - 1];
    const last = this.recorded.length - 1;
    const i = at === undefined ? last : this.recorded.indexOf(at);
    this.slider.max = String(last);
    this.slider.value = String(i < 0 ? last : i);
    this.slider.disabled = this.recorded.length < 2;
    const thinned = this.recorded.length < this.history.length && this.recorded.length > 1;
    this.slider.title = this.slider.disabled && this.history.length > 1
      ? 'Only the last step has a graph here: the parameters of the others were not recorded (too many for the server, or no server)'
      : thinned ? `${this.recorded.length} of ${this.history.length} steps recorded (one every ${this.recorded[1]} and the last)` : '';
    this.drawChart();
  }

  /** The training step the slider is at (a recorded one). */
  step() {
    return this.recorded ? this.recorded[Number(this.slider.value)] ?? 0 : 0;
  }

  drawChart() {
    const h = this.history;
    if (!h || !h.length) {
      this.chart.replaceChildren();
      return;
    }
    const k = this.step();
    const log = this.root.querySelector('#loss-log').checked;
    lineChart(this.chart, [{ name: 'loss', values: h, colour: 'var(--accent)' }], { log, cursor: k, lo: 0, title: log ? 'loss (log)' : 'loss' });
    const acc = this.accuracy?.[k];
    this.sliderOut.dataset.step = String(k);
    this.sliderOut.textContent = `after ${k} update${k === 1 ? '' : 's'}: loss ${fmt(h[k])}${acc != null ? ` · accuracy ${(100 * acc).toFixed(1)} %` : ''}`;
  }
}

export { FormError };
