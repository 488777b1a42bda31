/**
 * Wiring: mode tabs, the editor and the MLP form, running a source or a network, the
 * explain panel, URL state, theme, and start-up. Data flows one way:
 * API answer -> indexGraph -> Player (pure) -> Playback (timer, keys) -> Views + Explainer (drawing).
 */
import * as api from './api.js';
import { fmt } from './format.js';
import { Editor } from './editor.js';
import { Explainer } from './explain.js';
import { download, htmlOfPage, pngOfView, svgOfView } from './exporter.js';
import { fdTable, nudgeControl, pathsControl, Predictor } from './learn.js';
import { setOps } from './ops.js';
import { FormError, MlpForm } from './mlp.js';
import { Playback } from './playback.js';
import { indexGraph, Player, snapshotValues } from './player.js';
import { runSource } from './language.js';
import { TrainingPanel } from './training.js';
import { ProgramPanel } from './program.js';
import { copyLink, readHash, storage, writeHash } from './state.js';
import { Views } from './views.js';

const $ = (sel) => document.querySelector(sel);
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);

const DEFAULT_SOURCE = `# L = (a*b + c) * f
a = 2.0
b = -3.0
c = 10.0
e = a*b
d = e + c
f = -2.0
L = d * f`;

const app = {
  mode: 'expression',
  language: 'auto', // the source's language: auto, expression or python (language.js)
  graph: null,
  explainer: null,
  examples: [],
  mlpSpec: null, // the spec of the last MLP training
  mlpRecord: null, // its recorded parameters {steps, parameters}: the slider rebuilds a step's graph from them
  mlpTicket: 0, // counts MLP requests: an answer overtaken by a newer request is not shown
  byMode: {}, // mode -> { graph, view }: switching modes brings back that mode's last graph
};

const playback = new Playback({ onMove: (changed) => refresh(changed) });
const views = new Views({
  onDraw: (name) => {
    if (app.byMode[app.mode]) app.byMode[app.mode].view = name;
    if (app.mode === 'mlp') training.flagNeurons(app.graph); // the step shown, not always the trained net
    refresh([]);
    saveState();
  },
});
const editor = new Editor($('.editor'), { onRun: () => run() });
const predictor = new Predictor({ playback, getExplainer: () => app.explainer });
const program = new ProgramPanel({
  onSnapshot: (k) => showSnapshot(k),
  onNode: (i) => { views.graphView.focus(app.graph.nodes[i].id); views.inspect(i); },
});
const form = new MlpForm($('#mlp-form'), { onSlide: (k) => showMlpStep(k) });
const training = new TrainingPanel({
  form,
  latest: () => ({ spec: app.mlpSpec, result: app.mlpResult }),
  run: () => run(),
  showError: (msg) => showError(msg),
  clearError: () => clearError(),
});

// ------------------------------------------------------------------ messages

function showError(msg, line = null, column = null) {
  const el = tid('error');
  el.textContent = line ? `Line ${line}, column ${column ?? 1}: ${msg}` : msg;
  el.hidden = false;
}

function clearError() {
  tid('error').hidden = true;
  tid('error').textContent = '';
}

/** After a failed run the old graph stays for reference, dimmed: it is not what the source says now. */
function markStale(on) {
  $('.stage').classList.toggle('stale', on);
  if (on) program.clear();
}

function setBusy(on) {
  $('.stage').classList.toggle('busy', on);
  tid('run').disabled = on;
}

// ------------------------------------------------------------------ modes

function setMode(mode) {
  app.mode = mode;
  for (const m of ['expression', 'mlp']) {
    const b = tid(`mode-${m}`);
    b.setAttribute('aria-selected', String(m === mode));
    b.classList.toggle('on', m === mode);
  }
  $('#expr-panel').hidden = mode !== 'expression';
  $('#mlp-form').hidden = mode !== 'mlp';
  $('#examples').parentElement.hidden = mode !== 'expression';
  tid('run').textContent = mode === 'mlp' ? 'Train & show ▸' : 'Run ▸';
}

/** Switch modes: show that mode's last graph again, or run it the first time. */
function switchMode(mode) {
  if (mode === app.mode) return;
  playback.stop();
  clearError();
  setMode(mode);
  const kept = app.byMode[mode];
  if (kept) load(kept.graph, { viewName: kept.view, language: kept.language });
  else run();
}

// ------------------------------------------------------------------ running

async function run({ pos = null, viewName = null } = {}) {
  playback.stop();
  clearError();
  if (app.mode === 'mlp') return runMlp({ pos, viewName });
  setBusy(true);
  try {
    const { graph, language } = await runSource(editor.value, app.language);
    load(graph, { pos, viewName, language });
  } catch (err) {
    if (!(err instanceof api.ApiError)) throw err;
    showError(err.message, err.line, err.column);
    if (err.line) editor.markError(err.line, err.column);
    markStale(true);
  } finally {
    setBusy(false);
  }
}

async function runMlp({ pos = null, viewName = null } = {}) {
  let spec;
  try {
    spec = form.getSpec();
  } catch (err) {
    if (err instanceof FormError) return showError(err.message);
    throw err;
  }
  app.mlpTicket++; // a step's graph still on its way is not shown over this training
  const sliderWas = form.slider.disabled;
  form.slider.disabled = true; // the old record's steps, until this training brings its own
  let trained = false;
  setBusy(true);
  const live = training.startLive(spec);
  try {
    // the parameters after each step come too (thinned by the server past its cap): the slider needs no training
    const graph = await api.mlpStream(spec.steps > 0 ? { ...spec, parameter_history: true } : spec, live);
    app.mlpRecord = { steps: graph.parameter_steps || [], parameters: graph.parameter_history || [] };
    delete graph.parameter_steps; // kept once, here: not in the graph the page exports
    delete graph.parameter_history;
    app.mlpSpec = spec;
    app.mlpResult = graph;
    trained = true;
    form.setHistory(graph.history || [], undefined, graph.accuracy, app.mlpRecord.steps);
    training.show(graph, spec); // not awaited: the boundary's points may take a fetch
    $('#train-panel').hidden = false;
    load(graph, { pos, viewName: viewName || app.byMode.mlp?.view });
    training.flagNeurons(app.mlpResult);
  } catch (err) {
    if (err.name === 'AbortError') return showError('Training cancelled: the server stopped it.');
    if (!(err instanceof api.ApiError)) throw err;
    showError(err.message);
    markStale(true);
  } finally {
    if (!trained) form.slider.disabled = sliderWas;
    setBusy(false);
    live.done();
  }
}

/**
 * The graph at training step `step` (a recorded one, else the nearest recorded before it):
 * the trained spec with that step's recorded parameters and no steps, the same seed and data,
 * so the same samples give the loss the history has there. Nothing is trained again.
 */
async function showMlpStep(step) {
  const rec = app.mlpRecord;
  if (!app.mlpSpec || !rec?.steps.length) return;
  let i = rec.steps.length - 1;
  while (i > 0 && rec.steps[i] > step) i--;
  const ticket = ++app.mlpTicket; // an older move's answer is not shown over this one
  clearError();
  if (rec.parameters[i].some((v) => typeof v !== 'number')) { // "NaN", "Infinity": training diverged
    setBusy(false);
    markStale(true); // the graph is another step's
    training.show(app.mlpResult, app.mlpSpec, { step: rec.steps[i], answer: null });
    return showError(`After ${rec.steps[i]} updates the parameters are not finite (training diverged): that step has no graph.`);
  }
  if (i === rec.steps.length - 1 && app.mlpResult) { // the trained net itself: nothing to ask
    setBusy(false);
    load(app.mlpResult, { viewName: app.byMode.mlp?.view });
    training.show(app.mlpResult, app.mlpSpec, { step: rec.steps[i], answer: app.mlpResult });
    training.flagNeurons(app.mlpResult);
    return;
  }
  const spec = { ...app.mlpSpec, initial_parameters: rec.parameters[i], steps: 0 };
  setBusy(true);
  try {
    const graph = await api.mlp(spec);
    if (ticket !== app.mlpTicket) return; // a later move (or a training) came first
    load(graph, { viewName: app.byMode.mlp?.view });
    // the step's own boundary, loss and flags beside it; app.mlpResult keeps the whole training
    training.show(app.mlpResult, app.mlpSpec, { step: rec.steps[i], answer: graph });
    training.flagNeurons(graph);
  } catch (err) {
    if (ticket !== app.mlpTicket) return;
    if (!(err instanceof api.ApiError)) throw err;
    showError(err.message);
    markStale(true);
  } finally {
    if (ticket === app.mlpTicket) setBusy(false);
  }
}

/** Show a Graph JSON: index it, start playback after the forward pass (or at pos), draw it. */
function load(graph, { pos = null, viewName = null, language = 'expression' } = {}) {
  app.graph = graph;
  app.byMode[app.mode] = { graph, view: null, language };
  markStale(false);
  const g = indexGraph(graph);
  app.g = g;
  app.ranSource = app.mode === 'expression' ? editor.value : null; // what nudge and paths re-run
  const player = new Player(g);
  predictor.reset(g);
  $('#fd').hidden = true;
  app.explainer = new Explainer(g);
  // An expression opens after its forward pass (data on screen, backward next); a trained MLP at
  // the end of its backward pass, where every box's grad says something.
  playback.load(player, pos ?? (app.mode === 'mlp' ? player.last : player.F));
  const warn = $('#warnings');
  warn.hidden = !graph.warnings?.length;
  warn.textContent = (graph.warnings || []).map((w) => `⚠ ${w}`).join('\n');
  // MLPs open on the neuron view (the full graph of every sample is a wall of boxes); expressions on the full view.
  const preferred = app.mode === 'mlp' ? 'neuron' : 'full';
  views.load({ graph, g, player, explainer: app.explainer }, { viewName, preferred });
  if (app.mode === 'expression') program.load(graph, g, language);
  else program.clear();
  if (!views.name) { // nothing drawn, so onDraw did not refresh
    refresh([]);
    saveState();
  }
}

/** After a move: the graph, the playback controls and the explain panel show the new position. */
function refresh(changed) {
  if (!playback.player) return;
  program.leave();
  views.update(changed);
  playback.show();
  renderExplain();
  scheduleSave();
}

/** Show the picture a Python program's k-th draw_dot call took (null: back to playback). */
function showSnapshot(k) {
  if (k === null) return refresh([]);
  const snap = app.graph.snapshots[k];
  const values = snapshotValues(views.g, snap);
  views.showValues(values);
  const total = app.graph.snapshots.length;
  tid('step-label').textContent = `picture ${k + 1}/${total} (draw_dot)`;
  const o = views.g.idx.get(snap.output);
  const name = o === undefined ? null : app.explainer.name(o);
  writeLines([
    { kind: 'head', text: `draw_dot call ${k + 1} of ${total}: the graph as the program had it then${name ? `, drawn from ${name}` : ''}` },
    { kind: 'note', text: values.count === views.g.n ? `All ${values.count} nodes existed then.` : `${values.count} of ${views.g.n} nodes existed; the others appear later in the program.` },
    { kind: 'note', text: 'Press → or any playback control to step through the backward pass again.' },
  ]);
}

function renderExplain() {
  writeLines(app.explainer.lines(playback.player));
  const p = playback.player;
  if (p.atEnd() && p.B > 0) tid('explain').append(leafSummary(p));
}

const SUMMARY_MAX = 12;

/** Nudge and paths need the expression route (overrides, paths): the expression language's graphs. */
const canAsk = () => app.mode === 'expression' && app.byMode.expression?.language === 'expression' && !app.standalone;

views.extras = (i) => {
  if (!canAsk()) return null;
  const g = app.g;
  const node = g.nodes[i];
  const box = document.createElement('div');
  const name = (j) => app.explainer.name(j);
  const ref = (j) => app.explainer.ref(j);
  if (!node.op && node.role !== 'const') {
    box.append(nudgeControl({ g, i, source: app.ranSource, outputId: app.graph.output, name, ref }));
  }
  if (node.role !== 'const') {
    box.append(pathsControl({ g, i, source: app.ranSource, name, onLight: (pairs) => views.graphView.lightEdges(pairs) }));
  }
  return box.children.length ? box : null;
};

async function checkNumerically() {
  const section = $('#fd');
  section.hidden = false;
  section.textContent = 'computing central differences…';
  try {
    const table = await fdTable({ g: app.g, source: app.ranSource, name: (j) => app.explainer.name(j) });
    const head = document.createElement('h3');
    head.textContent = 'Every grad against finite differences';
    section.replaceChildren(head, table);
  } catch (err) {
    section.textContent = err.message;
  }
}

/** The backward pass is done: each leaf's grad, largest first, a click away from its box. */
function leafSummary(p) {
  const leaves = app.explainer.leafSummary(p);
  const box = document.createElement('div');
  box.className = 'summary';
  box.dataset.testid = 'summary';
  const head = document.createElement('div');
  head.className = 'x-head';
  head.textContent = `Backward pass done. The ${leaves.length} leaves' grads, largest first${leaves.length > SUMMARY_MAX ? ` (the first ${SUMMARY_MAX})` : ''}:`;
  box.append(head);
  for (const leaf of leaves.slice(0, SUMMARY_MAX)) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `leaf ${leaf.grad > 0 ? 'gpos' : leaf.grad < 0 ? 'gneg' : 'gzero'}`;
    b.textContent = `${leaf.name}.grad = ${fmt(leaf.grad)}`;
    b.title = 'Show this leaf on the graph';
    b.addEventListener('click', () => {
      views.graphView.focus(app.graph.nodes[leaf.i].id);
      views.inspect(leaf.i);
    });
    box.append(b);
  }
  if (canAsk()) {
    const fd = document.createElement('button');
    fd.type = 'button';
    fd.className = 'fd-button';
    fd.dataset.testid = 'check-fd';
    fd.textContent = 'Check every grad numerically';
    fd.title = "Each leaf's grad beside the central difference (f(x+h) - f(x-h)) / 2h";
    fd.addEventListener('click', () => checkNumerically());
    box.append(fd);
  }
  return box;
}

function writeLines(lines) {
  tid('explain').replaceChildren(...lines.map((l) => {
    const d = document.createElement('div');
    d.className = `x-${l.kind}`;
    d.textContent = l.text;
    return d;
  }));
}

// ------------------------------------------------------------------ URL state

let saveTimer = 0;
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveState, 250); // not on every step of a 60 steps/s playback
}

function saveState() {
  const st = { mode: app.mode, pos: playback.player?.pos, view: views.name, embed: app.embed, present: app.present };
  if (app.standalone) return writeHash(st); // the file carries its own source
  if (app.mode === 'mlp') st.spec = app.mlpSpec; else st.source = editor.value;
  if (app.language !== 'auto') st.lang = app.language;
  writeHash(st);
}

// ------------------------------------------------------------------ theme

function setTheme(t) {
  document.documentElement.dataset.theme = t;
  storage.set('gradwalk-theme', t);
  $('#theme').innerHTML = t === 'dark' ? '☀<span class="word"> Light</span>' : '☾<span class="word"> Dark</span>';
}

// ------------------------------------------------------------------ presentation

/** Presentation: the graph and the playback fill the screen in large type; keys only (P, Esc). */
function setPresent(on) {
  app.present = on;
  document.body.classList.toggle('present', on);
  $('#present').setAttribute('aria-pressed', String(on));
  views.fitSoon();
  saveState();
}

// ------------------------------------------------------------------ events

// ------------------------------------------------------------------ export

/** A file name that says what it shows: the output's name and the step. */
function exportName(ext) {
  const out = app.graph ? app.graph.nodes.find((n) => n.id === app.graph.output) : null;
  const name = (out?.label || app.graph?.output_name || 'graph').replace(/[^\w.-]+/g, '_');
  const step = playback.player ? tid('step-label').textContent.replace(/[^\w]+/g, '-') : '';
  return `gradwalk-${name}${step ? `-${step}` : ''}.${ext}`;
}

async function exportAs(format) {
  $('#export-menu').hidden = true;
  $('#export').setAttribute('aria-expanded', 'false');
  if (!app.graph) return;
  try {
    if (format === 'svg') download(new Blob([svgOfView($('#graph'))], { type: 'image/svg+xml' }), exportName('svg'));
    else if (format === 'png') download(await pngOfView($('#graph')), exportName('png'));
    else {
      const kept = app.byMode[app.mode] || {};
      const state = { graph: app.graph, mode: app.mode, language: kept.language || 'expression', pos: playback.player?.pos ?? null, view: views.name };
      if (app.mode === 'mlp') state.spec = app.mlpSpec; else state.source = editor.value;
      download(await htmlOfPage(state), exportName('html'));
    }
  } catch (err) {
    showError(`Export failed: ${err.message}`);
  }
}

$('#export').addEventListener('click', () => {
  const menu = $('#export-menu');
  menu.hidden = !menu.hidden;
  $('#export').setAttribute('aria-expanded', String(!menu.hidden));
});
for (const b of document.querySelectorAll('#export-menu [data-format]')) b.addEventListener('click', () => exportAs(b.dataset.format));

$('#present').addEventListener('click', () => setPresent(!app.present));
$('.exit-present').addEventListener('click', () => setPresent(false));
document.addEventListener('keydown', (ev) => {
  if (ev.target.closest?.('textarea, input, select') || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  if (ev.key === 'p' || ev.key === 'P') setPresent(!app.present);
  else if (ev.key === 'Escape' && app.present) setPresent(false);
});

tid('mode-expression').addEventListener('click', () => switchMode('expression'));
tid('mode-mlp').addEventListener('click', () => switchMode('mlp'));
tid('run').addEventListener('click', () => run());
$('#collapse').addEventListener('click', () => {
  const on = document.body.classList.toggle('wide');
  $('#collapse').setAttribute('aria-pressed', String(on));
  $('#collapse').title = on ? 'Show the editor panel' : 'Hide the editor panel (bigger graph)';
  $('#collapse').textContent = on ? '»' : '«';
  views.fitSoon();
});
$('#copy-link').addEventListener('click', async () => {
  saveState();
  const ok = await copyLink();
  const label = $('#copy-link span');
  label.textContent = ok ? 'Link copied ✓' : 'Link shown';
  setTimeout(() => { label.textContent = 'Copy link'; }, 1600);
});
$('#theme').addEventListener('click', () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
$('#examples').addEventListener('change', (ev) => {
  const ex = app.examples[Number(ev.target.value)];
  if (!ex) return;
  editor.value = ex.source;
  $('#lesson').textContent = ex.lesson || ex.description || '';
  lessonSource = ex.source;
  run();
});

// ------------------------------------------------------------------ start

let lessonSource = null; // the example source the lesson speaks of: edited away, the lesson goes
$('[data-testid="source"]').addEventListener('input', () => {
  if (lessonSource !== null && editor.value !== lessonSource) {
    $('#lesson').textContent = '';
    lessonSource = null;
  }
});
$('#language').addEventListener('change', (ev) => {
  app.language = ev.target.value;
  run();
});

async function loadExamples() {
  app.examples = await api.examples();
  const sel = $('#examples');
  const groups = { expression: 'Expressions', python: 'Python programs (the seeds\' code, run in a sandbox)' };
  for (const [language, title] of Object.entries(groups)) {
    const og = document.createElement('optgroup');
    og.label = title;
    app.examples.forEach((ex, k) => {
      if ((ex.language || 'expression') !== language) return;
      const o = document.createElement('option');
      o.value = String(k);
      o.textContent = ex.title || ex.name || `example ${k + 1}`;
      og.appendChild(o);
    });
    if (og.children.length) sel.appendChild(og);
  }
}

/**
 * A standalone page (gradwalk.standalone: an exported HTML file, an embed, gradwalk.show())
 * carries its graph and op table with it: it plays them and never calls a server.
 */
function startStandalone(saved) {
  document.body.classList.add('standalone');
  app.standalone = true;
  // the file's own view (step, view, embed), unless the link it was opened with says otherwise
  const link = location.hash ? readHash() : {};
  const st = { ...saved };
  for (const k of ['pos', 'view', 'embed', 'present']) if (link[k] !== undefined) st[k] = link[k];
  setOps(saved.ops || []);
  editor.value = saved.source ?? '';
  tid('source').readOnly = true;
  app.embed = Boolean(st.embed);
  document.body.classList.toggle('embed', app.embed);
  document.body.classList.toggle('notebook', Boolean(saved.notebook)); // gradwalk.show(): the stepper and its panel
  if (st.present) setPresent(true);
  setMode(saved.mode === 'mlp' ? 'mlp' : 'expression');
  if (saved.mode === 'mlp' && saved.graph.history) form.setHistory(saved.graph.history);
  load(saved.graph, { pos: st.pos ?? null, viewName: st.view ?? null, language: saved.language || 'expression' });
}

async function start() {
  setTheme(storage.get('gradwalk-theme') ||
    (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const saved = document.getElementById('gradwalk-state');
  if (saved) return startStandalone(JSON.parse(saved.textContent));
  const st = readHash();
  editor.value = st.source ?? DEFAULT_SOURCE;
  app.language = st.lang || 'auto';
  app.embed = Boolean(st.embed);
  document.body.classList.toggle('embed', app.embed);
  if (st.present) setPresent(true);
  $('#language').value = app.language;
  if (st.spec) form.setSpec(st.spec);
  setMode(st.mode);
  // Menus are a nicety: the page works without them, so failures here stay quiet.
  api.datasets().then((d) => form.setDatasets(d)).catch(() => {});
  loadExamples().catch(() => {});
  // The explain panel's formulas come from the op table: load it before the first render.
  let opsError = null;
  try {
    const ops = await api.ops();
    setOps(ops);
    // The hint lists what the language accepts: the op table's functions.
    const names = ops.filter((o) => o.function).map((o) => (o.arity === 2 ? `${o.name}(a, b)` : o.name));
    if (names.length) $('#function-names').textContent = names.join(' ');
  } catch (err) {
    if (!(err instanceof api.ApiError)) throw err;
    opsError = err.message;
  }
  await run({ pos: st.pos ?? null, viewName: st.view ?? null });
  // After the run, which clears old messages: the graph works, only the formulas are missing.
  if (opsError && tid('error').hidden) showError(`The op table did not load, so the explain panel shows no formulas: ${opsError}`);
}

start();
