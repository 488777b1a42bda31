/**
 * Wiring: mode tabs, editor / MLP form, run, the graph view, playback controls and
 * keyboard, the explain panel, the inspector, URL state, theme. Data flows one way:
 * API answer -> indexGraph -> Player (pure) -> GraphView + Explainer (drawing).
 */
import * as api from './api.js';
import { Editor } from './editor.js';
import { Explainer, setOps } from './explain.js';
import { FormError, MlpForm } from './mlp.js';
import { indexGraph, Player } from './player.js';
import { GraphView } from './render.js';
import { copyLink, readHash, writeHash } from './state.js';

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

// Timings of playback steps, read by the browser tests and the benchmark.
const perf = { steps: [], draws: [] };
window.gradwalkPerf = perf;

const app = {
  mode: 'expression',
  graph: null,
  g: null,
  player: null,
  explainer: null,
  viewName: null,
  playing: false,
  timer: 0,
  inspected: -1,
  mlpSpec: null, // the spec of the last MLP run (the slider re-runs it with fewer steps)
  mlpHistory: null,
  byMode: {}, // mode -> { graph, view }: switching modes brings back that mode's last graph
};

const view = new GraphView($('#graph'), { onNodeClick: (i) => inspect(i), onGroupClick: (id) => expand(id) });
const editor = new Editor($('.editor'), { onRun: () => run() });
const form = new MlpForm($('#mlp-form'), { onSlide: (k) => runMlp({ steps: k, keepHistory: true }) });

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

// ------------------------------------------------------------------ running

async function run({ pos = null, viewName = null } = {}) {
  stop();
  clearError();
  if (app.mode === 'mlp') return runMlp({ pos, viewName });
  const source = editor.value;
  setBusy(true);
  try {
    const graph = await api.expression(source);
    load(graph, { pos, viewName });
  } catch (err) {
    if (!(err instanceof api.ApiError)) throw err;
    showError(err.message, err.line, err.column);
    if (err.line) editor.markError(err.line, err.column);
  } finally {
    setBusy(false);
  }
}

async function runMlp({ pos = null, viewName = null, steps = null, keepHistory = false } = {}) {
  let spec;
  try {
    spec = keepHistory && app.mlpSpec ? { ...app.mlpSpec, steps } : form.getSpec();
  } catch (err) {
    if (err instanceof FormError) return showError(err.message);
    throw err;
  }
  setBusy(true);
  try {
    const graph = await api.mlp(spec);
    if (!keepHistory) {
      app.mlpSpec = spec;
      app.mlpHistory = graph.history || [];
      form.setHistory(app.mlpHistory);
    }
    $('#train-panel').hidden = false;
    load(graph, { pos, viewName: viewName || app.byMode.mlp?.view });
  } catch (err) {
    if (!(err instanceof api.ApiError)) throw err;
    showError(err.message);
  } finally {
    setBusy(false);
  }
}

function load(graph, { pos = null, viewName = null } = {}) {
  app.graph = graph;
  app.byMode[app.mode] = { graph, view: null };
  app.g = indexGraph(graph);
  app.player = new Player(app.g);
  app.explainer = new Explainer(app.g);
  app.inspected = -1;
  $('#inspector').hidden = true;
  const warn = $('#warnings');
  warn.hidden = !graph.warnings?.length;
  warn.textContent = (graph.warnings || []).map((w) => `⚠ ${w}`).join('\n');
  const views = graph.layout?.views || {};
  const names = ['full', 'neuron', 'layer'].filter((v) => views[v]);
  const bar = $('#views');
  bar.replaceChildren();
  if (names.length > 1) {
    for (const v of names) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = { full: 'every node', neuron: 'neurons', layer: 'layers' }[v];
      b.dataset.view = v;
      b.title = `Show the ${b.textContent} view`;
      b.addEventListener('click', () => drawView(v));
      bar.appendChild(b);
    }
  }
  bar.hidden = names.length < 2;
  $('#empty').hidden = true;
  const initial = pos ?? app.player.F; // land after the forward pass: data on screen, backward next
  app.player.seek(initial);
  // MLPs open on the neuron view (the full graph of every sample is a wall of boxes); expressions on the full view.
  const preferred = names.includes('neuron') && app.mode === 'mlp' ? 'neuron' : names[0];
  const chosen = names.includes(viewName) ? viewName : preferred;
  if (chosen) {
    drawView(chosen);
  } else {
    view.vp?.remove();
    view.vp = null;
    $('#empty').hidden = false;
    $('#empty').textContent = graph.layout
      ? `This graph has ${graph.nodes.length.toLocaleString()} nodes: too many to draw. Stepping and the explain panel still work.`
      : 'The server sent no layout for this graph.';
    refresh([]);
  }
  saveState();
}

function drawView(name) {
  app.viewName = name;
  if (app.byMode[app.mode]) app.byMode[app.mode].view = name;
  const t0 = performance.now();
  view.draw(app.graph.layout.views[name], app.g);
  view.updateAll(app.player);
  perf.draws.push({ nodes: app.graph.nodes.length, ms: performance.now() - t0 });
  for (const b of $('#views').children) b.classList.toggle('on', b.dataset.view === name);
  refresh([]);
  saveState();
}

/**
 * Open a collapsed box one level down: a layer into the neuron view, a neuron (or the
 * input or loss box) into the every-node view, centred on what it stood for.
 */
function expand(groupId) {
  const views = app.graph?.layout?.views || {};
  const members = views[app.viewName]?.nodes.find((n) => n.id === groupId)?.members || [];
  const target = app.viewName === 'layer' && views.neuron ? 'neuron' : views.full ? 'full' : null;
  if (!target || !members.length) return;
  drawView(target);
  // the box to centre on: in the neuron view a neuron of the layer (or the same box),
  // in the full view the last node the group made (a neuron's output)
  const last = members.reduce((a, b) => (app.g.idx.get(b) > app.g.idx.get(a) ? b : a));
  const inside = (id) => id === groupId || id.startsWith(`${groupId}/`);
  const to = target === 'full' ? last : view.view.nodes.find((n) => inside(n.id))?.id || last;
  view.focus(to);
  if (target === 'full') inspect(app.g.idx.get(last));
}

// ------------------------------------------------------------------ playback

/** Redraw what a step changed, the highlight, the label, the scrubber and the explain panel. */
function refresh(changed) {
  const p = app.player;
  if (!p) return;
  if (view.vp) {
    view.update(p, changed);
    const c = p.current();
    view.highlight(c.node, c.phase === 'backward' ? p.currentTargets() : [], c.phase);
    if (c.node >= 0) view.ensureVisible(c.node); // pans only when the step's node is off-screen
  }
  tid('step-label').textContent = p.label();
  const sc = $('#scrubber');
  sc.max = String(p.last);
  sc.value = String(p.pos);
  sc.setAttribute('aria-valuetext', p.label());
  $('.dock').dataset.phase = p.current().phase;
  renderExplain();
  if (app.inspected >= 0) inspect(app.inspected);
  // Never `disabled`: a click at an end is a harmless no-op, and focus is not lost mid-walk.
  for (const [name, off] of [['step-prev', p.pos === 0], ['to-start', p.pos === 0], ['step-next', p.atEnd()], ['to-end', p.atEnd()]]) {
    tid(name).classList.toggle('off', off);
  }
  scheduleSave();
}

function renderExplain() {
  const box = tid('explain');
  const lines = app.explainer.lines(app.player);
  box.replaceChildren(...lines.map((l) => {
    const d = document.createElement('div');
    d.className = `x-${l.kind}`;
    d.textContent = l.text;
    return d;
  }));
}

function seek(pos) {
  if (!app.player) return;
  const t0 = performance.now();
  const changed = app.player.seek(pos);
  refresh(changed);
  perf.steps.push(performance.now() - t0);
  if (perf.steps.length > 5000) perf.steps.splice(0, 2500);
}

const step = (d) => app.player && seek(app.player.pos + d);

function speed() {
  return Number($('#speed').value); // steps per second
}

function play() {
  if (!app.player) return;
  if (app.player.atEnd()) seek(0);
  app.playing = true;
  tid('play').textContent = '❚❚';
  tid('play').setAttribute('aria-label', 'Pause');
  tid('play').title = 'Pause (space)';
  const tick = () => {
    if (!app.playing) return;
    step(1);
    if (app.player.atEnd()) return stop();
    app.timer = setTimeout(() => requestAnimationFrame(tick), 1000 / speed());
  };
  app.timer = setTimeout(() => requestAnimationFrame(tick), 1000 / speed());
}

function stop() {
  app.playing = false;
  clearTimeout(app.timer);
  tid('play').textContent = '▶';
  tid('play').setAttribute('aria-label', 'Play');
  tid('play').title = 'Play (space)';
}

const togglePlay = () => (app.playing ? stop() : play());

// ------------------------------------------------------------------ inspector

function inspect(i) {
  if (i == null || i < 0 || !app.explainer) return;
  app.inspected = i;
  const box = $('#inspector');
  const rows = app.explainer.inspect(app.player, i);
  const dl = box.querySelector('dl');
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
  box.hidden = false;
}

// ------------------------------------------------------------------ URL state

let saveTimer = 0;
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveState, 250);
}

function saveState() {
  const st = { mode: app.mode, pos: app.player?.pos, view: app.viewName };
  if (app.mode === 'mlp') st.spec = app.mlpSpec; else st.source = editor.value;
  writeHash(st);
}

// ------------------------------------------------------------------ theme

function setTheme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem('gradwalk-theme', t);
  $('#theme').textContent = t === 'dark' ? '☀ Light' : '☾ Dark';
}

// ------------------------------------------------------------------ events

/** Switch modes: show that mode's last graph again, or run it the first time. */
function switchMode(mode) {
  if (mode === app.mode) return;
  stop();
  clearError();
  setMode(mode);
  const kept = app.byMode[mode];
  if (kept) load(kept.graph, { viewName: kept.view });
  else run();
}

tid('mode-expression').addEventListener('click', () => switchMode('expression'));
tid('mode-mlp').addEventListener('click', () => switchMode('mlp'));
tid('run').addEventListener('click', () => run());
tid('to-start').addEventListener('click', () => { stop(); seek(0); });
tid('step-prev').addEventListener('click', () => { stop(); step(-1); });
tid('play').addEventListener('click', togglePlay);
tid('step-next').addEventListener('click', () => { stop(); step(1); });
tid('to-end').addEventListener('click', () => { stop(); seek(app.player?.last ?? 0); });
$('#scrubber').addEventListener('input', (ev) => { stop(); seek(Number(ev.target.value)); });
$('#fit').addEventListener('click', () => view.fit());
$('#collapse').addEventListener('click', () => {
  const on = document.body.classList.toggle('wide');
  $('#collapse').setAttribute('aria-pressed', String(on));
  $('#collapse').title = on ? 'Show the editor panel' : 'Hide the editor panel (bigger graph)';
  $('#collapse').textContent = on ? '»' : '«';
  requestAnimationFrame(() => view.fit());
});
$('#zoom-in').addEventListener('click', () => view.zoomBy(1.25));
$('#zoom-out').addEventListener('click', () => view.zoomBy(0.8));
$('#inspector .close').addEventListener('click', () => { app.inspected = -1; $('#inspector').hidden = true; });
$('#copy-link').addEventListener('click', async () => {
  saveState();
  const ok = await copyLink();
  const b = $('#copy-link');
  b.querySelector('span').textContent = ok ? 'Link copied ✓' : 'Link shown';
  setTimeout(() => { b.querySelector('span').textContent = 'Copy link'; }, 1600);
});
$('#theme').addEventListener('click', () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
$('#examples').addEventListener('change', (ev) => {
  const ex = app.examples?.[Number(ev.target.value)];
  if (!ex) return;
  editor.value = ex.source;
  $('#lesson').textContent = ex.lesson || ex.description || '';
  run();
});

document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (t.closest?.('textarea, input, select') || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const keys = {
    ArrowRight: () => { stop(); step(1); },
    ArrowLeft: () => { stop(); step(-1); },
    ' ': togglePlay,
    Home: () => { stop(); seek(0); },
    End: () => { stop(); seek(app.player?.last ?? 0); },
  };
  const f = keys[ev.key];
  if (!f) return;
  ev.preventDefault(); // space must not also click the focused button or scroll
  f();
});

// ------------------------------------------------------------------ start

async function start() {
  setTheme(localStorage.getItem('gradwalk-theme') ||
    (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const st = readHash();
  editor.value = st.source ?? DEFAULT_SOURCE;
  if (st.spec) form.setSpec(st.spec);
  setMode(st.mode);
  // Menus are a nicety: the page works without them, so failures here stay quiet.
  api.ops().then(setOps).catch(() => {});
  api.datasets().then((d) => form.setDatasets(d)).catch(() => {});
  api.examples().then((list) => {
    app.examples = list;
    const sel = $('#examples');
    list.forEach((ex, k) => {
      const o = document.createElement('option');
      o.value = String(k);
      o.textContent = ex.title || ex.name || `example ${k + 1}`;
      sel.appendChild(o);
    });
  }).catch(() => {});
  await run({ pos: st.pos ?? null, viewName: st.view ?? null });
}

start();
