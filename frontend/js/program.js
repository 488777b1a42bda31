/**
 * What a Python program adds to the page (docs/api.md, Python programs): which language ran,
 * the program's printed output, the checks of its own engine against gradwalk's op table, and
 * the strip of pictures its draw_dot calls took. Pure DOM over the response; no fetching.
 */
import { fmt } from './format.js';
import { nodeName } from './names.js';

const $ = (sel) => document.querySelector(sel);
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

export class ProgramPanel {
  /** @param {{onSnapshot: (k: number|null) => void, onNode: (i: number) => void}} hooks */
  constructor({ onSnapshot, onNode }) {
    Object.assign(this, { onSnapshot, onNode });
    this.ranAs = $('#ran-as');
    this.checks = $('#checks');
    this.console = $('#console');
    this.stdout = tid('stdout');
    this.strip = $('#snapshots');
    this.shown = null; // the snapshot on screen, or null for the replayed graph
  }

  /** Show what the run that produced `graph` in `language` says beyond the graph itself. */
  load(graph, g, language) {
    this.graph = graph;
    this.g = g;
    this.shown = null;
    const python = language === 'python';
    this.ranAs.hidden = false;
    this.ranAs.dataset.language = language;
    const n = graph.nodes.length.toLocaleString();
    this.ranAs.textContent = !python
      ? `Ran in gradwalk's expression language · ${n} nodes`
      : graph.engine === 'program'
        ? `Ran as Python in the sandbox · your own Value class · ${n} nodes of ${graph.output_name}`
        : `Ran as Python in the sandbox · gradwalk's micrograd Value · ${n} nodes of ${graph.output_name}`;
    this.console.hidden = !python;
    this.checks.hidden = !python || graph.engine !== 'program';
    this.strip.hidden = !python || !(graph.snapshots || []).length;
    if (!python) return;
    this.showStdout(graph.stdout || []);
    this.showChecks(g);
    this.showStrip(graph.snapshots || []);
  }

  /** A failed run: nothing of the old program's output may look current. */
  clear() {
    for (const e of [this.ranAs, this.console, this.checks, this.strip]) e.hidden = true;
    this.shown = null;
  }

  showStdout(lines) {
    this.stdout.textContent = lines.length ? lines.join('\n') : '(the program printed nothing)';
    this.stdout.classList.toggle('nothing', !lines.length);
    $('#stdout-count').textContent = lines.length ? `${lines.length} line${lines.length > 1 ? 's' : ''}` : '';
    this.stdout.scrollTop = this.stdout.scrollHeight; // the last lines first: a training loop's final loss
  }

  showChecks(g) {
    const list = [...g.checks.entries()];
    const items = [];
    const checked = this.graph.checked ?? 0;
    if (!list.length && !checked) {
      items.push(el('p', 'why', 'No checks: the graph is stale (see the warning) or no `_op` is one gradwalk knows.'));
    } else if (!list.length) {
      items.push(el('p', 'ok', `✓ Your engine agrees with gradwalk's chain rule at all ${checked} results it knows.`));
    } else {
      items.push(el('p', 'bad', `✗ Your engine disagrees with gradwalk's chain rule at ${list.length} node${list.length > 1 ? 's' : ''}:`));
      const ul = el('ul');
      for (const [i, cs] of list.slice(0, 20)) {
        for (const c of cs) {
          const li = el('li');
          const b = el('button', 'link', `${nodeName(g, i)}.${c.field}`);
          b.type = 'button';
          b.title = 'Show this node';
          b.addEventListener('click', () => this.onNode(i));
          li.append(b, ` is ${fmt(c.program)}, the chain rule gives ${fmt(c.reference)}`);
          li.title = c.msg;
          ul.append(li);
        }
      }
      items.push(ul);
      items.push(el('p', 'why', list[0][1][0].msg));
    }
    this.checks.replaceChildren(...items);
  }

  showStrip(snaps) {
    const g = this.g;
    const cards = [el('span', 'strip-title', 'pictures')];
    snaps.forEach((s, k) => {
      const b = el('button', 'snap');
      b.type = 'button';
      b.dataset.snapshot = String(k);
      const o = g.idx.get(s.output);
      const name = o === undefined ? 'a graph replaced later' : nodeName(g, o);
      const vals = o === undefined ? '' : `data ${fmt(Number(s.data[s.output]))} · grad ${fmt(Number(s.grad[s.output]))}`;
      b.append(el('span', null, `${k + 1} · draw_dot(${name})`), el('small', null, vals));
      b.title = `The picture draw_dot call ${k + 1} took: every node's data and grad at that moment`;
      b.addEventListener('click', () => this.select(this.shown === k ? null : k));
      cards.push(b);
    });
    const live = el('button', 'snap live', 'final ▸');
    live.type = 'button';
    live.title = 'Back to the graph after the replayed backward pass';
    live.addEventListener('click', () => this.select(null));
    cards.push(live);
    this.strip.replaceChildren(...cards);
    this.mark();
  }

  /** Show snapshot k (null: the replayed graph); the page draws it. */
  select(k) {
    this.shown = k;
    this.mark();
    this.onSnapshot(k);
  }

  /** Playback moved: the live graph is on screen again. */
  leave() {
    if (this.shown === null) return;
    this.shown = null;
    this.mark();
  }

  mark() {
    for (const b of this.strip.querySelectorAll('.snap')) {
      const on = b.classList.contains('live') ? this.shown === null : Number(b.dataset.snapshot) === this.shown;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', String(on));
    }
  }
}
