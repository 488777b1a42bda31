/**
 * Playback: the play/pause timer, the step buttons, the scrubber, the speed menu and the
 * keyboard (← → space Home End), over the pure Player of player.js. It draws nothing
 * itself: every move hands the nodes it changed to `onMove`, which redraws.
 */

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
    this.player.seek(pos);
  }

  /** A user's move: it stops playing first, so a click never races the timer. */
  jump(pos) {
    this.stop();
    this.seek(pos);
  }

  jumpBy(d) {
    if (!this.player) return;
    const to = this.player.pos + d;
    if (d === 1 && this.gate && !this.gate(to)) return this.stop();
    this.jump(to);
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
    tid('step-label').textContent = p.label();
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
    const speed = () => Number(this.speedMenu.value); // steps per second, read each tick
    const tick = () => {
      if (!this.playing) return;
      if (this.gate && !this.gate(this.player.pos + 1)) return this.stop();
      this.seek(this.player.pos + 1);
      if (this.player.atEnd()) return this.stop();
      this.timer = setTimeout(() => requestAnimationFrame(tick), 1000 / speed());
    };
    this.timer = setTimeout(() => requestAnimationFrame(tick), 1000 / speed());
  }

  stop() {
    this.playing = false;
    clearTimeout(this.timer);
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
