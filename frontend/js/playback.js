/**
 * Playback: the play/pause timer, the step buttons, the scrubber, the speed menu and the
 * keyboard (← → space Home End), over the pure Player of player.js. It draws nothing
 * itself: every move hands the nodes it changed to `onMove`, which redraws.
 */

import { stepUnits } from './player.js';

const tid = (id) => document.querySelector(`[data-testid="${id}"]`);

// Timings of playback steps, read by the browser tests and the benchmark.
const perf = { steps: [], draws: [] };
window.gradwalkPerf = perf;
export { perf };

export class Playback {
  constructor({ onMove }) {
    this.onMove = onMove;
    this.player = null;
    this.playing = false;
    this.gate = null; // (pos) => false holds a forward move there (predict mode asks first)
    this.timer = 0;
    this.scrubber = document.querySelector('#scrubber');
    this.speedMenu = document.querySelector('#speed');
    this.stepBy = tid('step-by');
    this.stepBy.addEventListener('change', () => {
      this.stepBy.blur(); // the arrow keys step again, by the new unit
      this.show();
    });
    this.dock = document.querySelector('.dock');
    this.playButton = tid('play');

    tid('to-start').addEventListener('click', () => this.jump(0));
    tid('step-prev').addEventListener('click', () => this.jumpBy(-1));
    this.playButton.addEventListener('click', () => this.toggle());
    tid('step-next').addEventListener('click', () => this.jumpBy(1));
    tid('to-end').addEventListener('click', () => this.jump(Infinity));
    document.querySelector('#to-backward').addEventListener('click', () => this.toBackward());
    this.scrubber.addEventListener('input', () => this.jump(Number(this.scrubber.value)));
    document.addEventListener('keydown', (ev) => this.key(ev));
  }

  /** Start over on a new Player at position pos. */
  load(player, pos) {
    this.stop();
    this.player = player;
    this.offerUnits(stepUnits(player.g.graph));
    this.player.seek(pos);
  }

  /** A user's move: it stops playing first, so a click never races the timer. */
  jump(pos) {
    this.stop();
    this.seek(pos);
  }

  /** One step back or forward by the chosen unit (a node, a statement, a neuron, a layer). */
  jumpBy(d) {
    if (!this.player) return;
    const from = this.player.pos;
    const to = this.player.stepTarget(from, d, this.by());
    // predict mode asks before each position it holds: a longer step stops just before it
    const { to: reach, held } = d > 0 ? this.advance(from, to) : { to, held: false };
    if (held && reach === from) return this.stop();
    this.jump(reach);
  }

  /** How far a forward move from `from` to `to` may go: the gate (predict mode) holds it just before the first position it refuses. */
  advance(from, to) {
    let p = from;
    while (p < to && (!this.gate || this.gate(p + 1))) p++;
    return { to: p, held: p < to };
  }

  /** The step unit chosen in the dock ('node' when the graph offers no other). */
  by() {
    return this.stepBy.value || 'node';
  }

  /** Offer the step units this graph has (see player.js stepUnits), keeping the choice when it still applies. */
  offerUnits(units) {
    for (const opt of this.stepBy.options) opt.hidden = !units.includes(opt.value);
    if (!units.includes(this.stepBy.value)) this.stepBy.value = 'node';
    this.stepBy.closest('label').hidden = units.length < 2;
  }

  seek(pos) {
    if (!this.player) return;
    const t0 = performance.now();
    const changed = this.player.seek(pos);
    this.onMove(changed);
    perf.steps.push(performance.now() - t0);
    if (perf.steps.length > 5000) perf.steps.splice(0, 2500);
  }

  /** The step label, scrubber, phase colour and button states for the current position. */
  show() {
    const p = this.player;
    if (!p) return;
    const by = this.by();
    const unit = p.unitName(p.pos, by);
    tid('step-label').textContent = unit ? `${p.label()} · ${by === 'line' ? `line ${unit}` : unit}` : p.label();
    this.scrubber.max = String(p.last);
    this.scrubber.value = String(p.pos);
    this.scrubber.setAttribute('aria-valuetext', p.label());
    this.dock.dataset.phase = p.current().phase;
    // Never `disabled`: a click at an end is a harmless no-op, and focus is not lost mid-walk.
    for (const [name, off] of [['step-prev', p.pos === 0], ['to-start', p.pos === 0], ['step-next', p.atEnd()], ['to-end', p.atEnd()]]) {
      tid(name).classList.toggle('off', off);
    }
  }

  play() {
    if (!this.player) return;
    if (this.player.atEnd()) this.seek(0);
    this.playing = true;
    this.setPlayButton('❚❚', 'Pause');
    // Steps are owed by the clock, paid once per frame: 60 steps/s is one step a frame, not one
    // every other frame (a timer and then a frame would wait for both), and a slow frame catches up.
    let last = performance.now();
    let owed = 0;
    const frame = (now) => {
      if (!this.playing) return;
      owed = Math.min(owed + ((now - last) * Number(this.speedMenu.value)) / 1000, 4); // speed read each frame
      last = now;
      const from = this.player.pos;
      const { to, held } = this.advance(from, Math.min(this.player.last, from + Math.floor(owed)));
      owed -= to - from;
      if (to !== from) this.seek(to);
      if (held || this.player.atEnd()) return this.stop();
      this.timer = requestAnimationFrame(frame);
    };
    this.timer = requestAnimationFrame(frame);
  }

  stop() {
    this.playing = false;
    cancelAnimationFrame(this.timer);
    this.setPlayButton('▶', 'Play');
  }

  toggle() {
    if (this.playing) this.stop();
    else this.play();
  }

  setPlayButton(text, label) {
    this.playButton.textContent = text;
    this.playButton.setAttribute('aria-label', label);
    this.playButton.title = `${label} (space)`;
  }

  /** Skip the forward pass: every value computed, the output's grad seeded (backward step 0). */
  toBackward() {
    if (this.player) this.jump(this.player.F + 1);
  }

  key(ev) {
    // Keys typed into a field belong to the field (the editor hands focus back on Esc or Ctrl+Enter).
    if (ev.target.closest?.('textarea, input, select') || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const keys = {
      ArrowRight: () => this.jumpBy(1),
      ArrowLeft: () => this.jumpBy(-1),
      ' ': () => this.toggle(),
      Home: () => this.jump(0),
      End: () => this.jump(Infinity),
      b: () => this.toBackward(),
      B: () => this.toBackward(),
    };
    const f = keys[ev.key];
    if (!f) return;
    ev.preventDefault(); // space must not also click the focused button or scroll
    f();
  }
}
