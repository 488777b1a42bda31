/**
 * The MLP run beside its graph: live progress while it trains (step, loss so far, a Cancel that
 * stops the server), then what it learned (accuracy, held-out split, the boundary with the
 * samples, the gradient flow, dead and saturated neurons), and the files a network comes and
 * goes in (samples as CSV, the trained net as JSON). Drawing and parsing are studio.js's.
 */
import * as api from './api.js';
import { download } from './exporter.js';
import { fmt } from './format.js';
import { graphSamplesFor } from './mlp.js';
import { drawBoundary, gradFlowChart, lineChart, netFile, parseCsv, specFromNetFile, toCsv } from './studio.js';

const $ = (sel) => document.querySelector(sel);
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);

/** Loss, accuracy, the held-out split and the samples of an MLP answer, in a line. */
function summaryOf(result, final) {
  const acc = result.accuracy?.[result.accuracy.length - 1];
  const parts = [`${final ? 'final ' : ''}loss ${fmt(Number(result.loss))}`];
  if (acc != null) parts.push(`accuracy ${(100 * acc).toFixed(1)} %`);
  if (result.holdout?.accuracy != null) parts.push(`held out ${(100 * result.holdout.accuracy).toFixed(1)} %`);
  if (result.samples) parts.push(`${result.samples.train} samples${result.samples.graph < result.samples.train ? `, graph of ${result.samples.graph}` : ''}`);
  return parts.join(' · ');
}

const downloadText = (text, name, type) => download(new Blob([text], { type }), name);

export class TrainingPanel {
  /**
   * @param {{form, latest: () => {spec, result}, run: () => void, showError: (m: string) => void, clearError: () => void}} deps
   *   latest: the last trained spec and its answer (the net file holds them)
   */
  constructor({ form, latest, run, showError, clearError }) {
    Object.assign(this, { form, latest, run, showError, clearError });
    this.presetSamples = null; // name -> dataset with samples: fetched once, when a boundary needs its points
    this.shown = 0; // counts show() calls: a boundary still waiting for its points is not drawn over a later one
    tid('csv-file').addEventListener('change', (ev) => this.readFile(ev, (text) => this.loadCsv(text), 'CSV'));
    tid('net-file').addEventListener('change', (ev) => this.readFile(ev, (text) => this.loadNet(text), 'net file'));
    tid('csv-download').addEventListener('click', () => this.saveCsv());
    tid('net-download').addEventListener('click', () => this.saveNet());
  }

  /** Live progress of a training run; `done()` when it ends. */
  startLive(spec) {
    const box = $('#train-live');
    const out = tid('train-progress');
    const chart = box.querySelector('.chart');
    const losses = [];
    const ctrl = new AbortController();
    const started = performance.now();
    box.hidden = false;
    out.textContent = `training… (${spec.steps} steps)`;
    out.dataset.step = '0';
    chart.replaceChildren();
    const cancel = tid('cancel');
    const onCancel = () => ctrl.abort();
    cancel.addEventListener('click', onCancel);
    let drawn = 0;
    return {
      signal: ctrl.signal,
      onProgress: (step, loss) => {
        out.dataset.step = String(step);
        out.textContent = `training… step ${step} of ${spec.steps}${loss == null ? '' : ` · loss ${fmt(Number(loss))}`} · ${((performance.now() - started) / 1000).toFixed(1)} s`;
        if (loss != null) losses[step] = Number(loss);
        if (performance.now() - drawn > 100 && losses.length > 1) { // at most 10 redraws a second
          drawn = performance.now();
          lineChart(chart, [{ name: 'loss', values: Array.from(losses, (v) => v ?? NaN), colour: 'var(--accent)' }], { lo: 0, title: 'loss so far' });
        }
      },
      done: () => {
        cancel.removeEventListener('click', onCancel);
        box.hidden = true;
      },
    };
  }

  /** A spec's samples: its own, or its preset's (fetched once). */
  async samplesOf(spec) {
    if (!spec.dataset) return { inputs: spec.inputs || [], targets: spec.targets || [] };
    this.presetSamples ??= api.datasets(true).then((list) => new Map(list.map((d) => [d.name, d])));
    const d = (await this.presetSamples).get(spec.dataset);
    return { inputs: d?.inputs || [], targets: d?.targets || [] };
  }

  /**
   * Beside the loss: accuracy, the held-out split, the boundary with the samples, the gradient
   * flow, dead and saturated neurons. `at` {step, answer}: the slider's training step and the
   * answer of the steps-0 request at its recorded parameters (answer null: they are not finite).
   * The summary, boundary and flags are then that step's, told as "step k of N"; the gradient
   * flow keeps `result`'s whole history, its cursor at k. `result` (the training) is not changed.
   */
  async show(result, spec, at = null) {
    const token = ++this.shown; // a later call (another step, a new training) wins
    const last = Math.max(0, (result.history?.length || 1) - 1);
    const step = at ? at.step : last;
    const now = at && step !== last ? at.answer : result; // the last step: the trained net itself
    const final = now === result;
    const panel = $('#train-panel');
    const head = tid('train-at');
    head.textContent = !final ? `Step ${step} of ${last}, not the trained net`
      : last ? `Trained net: step ${last} of ${last}` : 'The net as given: no training steps';
    head.title = final ? '' : `The summary, the boundary and the flags below are the net after ${step} updates; the charts show every step (the dashed line is ${step}). Move the slider to the end for the trained net.`;
    panel.classList.toggle('past', !final);
    const summary = $('#train-summary');
    summary.textContent = now ? summaryOf(now, final) : 'the parameters are not finite here (training diverged): no loss, no boundary';
    summary.dataset.loss = now ? String(now.loss) : '';
    if (result.grad_norms?.length) gradFlowChart($('#grad-flow'), result.grad_norms, step);
    const dead = now?.neurons?.dead || [];
    const sat = now?.neurons?.saturated || [];
    $('#neuron-flags').textContent = [dead.length ? `dead (ReLU 0 on every sample): ${dead.join(', ')}` : '',
      sat.length ? `saturated (|tanh| > 0.99 on every sample): ${sat.join(', ')}` : ''].filter(Boolean).join(' · ');
    const canvas = $('#boundary');
    canvas.hidden = !now?.boundary;
    if (now?.boundary) {
      const { inputs, targets } = await this.samplesOf(spec); // fetched once: at once after the first
      if (token !== this.shown) return;
      drawBoundary(canvas, now.boundary, inputs.map((input, k) => ({ input, target: Number(targets[k]) })));
    }
    canvas.dataset.step = now?.boundary ? String(step) : '';
    panel.dataset.step = String(step); // last: everything above is drawn
  }

  /** Dead and saturated neurons (of `result`, the graph shown) marked on their boxes in the collapsed views. */
  flagNeurons(result) {
    for (const box of document.querySelectorAll('#graph [data-flag]')) {
      box.classList.remove('dead', 'saturated');
      delete box.dataset.flag;
    }
    for (const [flag, ids] of [['dead', result?.neurons?.dead || []], ['saturated', result?.neurons?.saturated || []]]) {
      for (const id of ids) {
        const box = document.querySelector(`#graph [data-group="${CSS.escape(id)}"]`);
        if (box) { box.classList.add(flag); box.dataset.flag = flag; }
      }
    }
  }

  /** A chosen file's text to `use`; its errors said under `what`. */
  async readFile(ev, use, what) {
    const file = ev.target.files[0];
    ev.target.value = ''; // the same file again is a new choice
    if (!file) return;
    try {
      use(await file.text());
      this.clearError();
    } catch (err) {
      this.showError(`${what}: ${err.message}`);
    }
  }

  loadCsv(text) {
    const { inputs, targets } = parseCsv(text);
    let spec = {};
    try { spec = this.form.getSpec(); } catch { /* a half-filled form: the CSV brings the samples */ }
    this.form.setSpec({ ...spec, dataset: null, nin: inputs[0].length, inputs, targets, graph_samples: graphSamplesFor(inputs.length) });
  }

  loadNet(text) {
    this.form.setSpec(specFromNetFile(JSON.parse(text)));
    this.run();
  }

  async saveCsv() {
    try {
      const { inputs, targets } = await this.samplesOf(this.form.getSpec());
      downloadText(toCsv(inputs, targets), 'gradwalk-samples.csv', 'text/csv');
    } catch (err) {
      this.showError(err.message);
    }
  }

  saveNet() {
    const { spec, result } = this.latest();
    if (!result) return this.showError('Train a network first: the file holds its trained parameters.');
    return downloadText(JSON.stringify(netFile(spec, result)), 'gradwalk-net.json', 'application/json');
  }
}
