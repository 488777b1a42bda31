/**
 * The expression editor: a monospace textarea with line numbers; Ctrl/Cmd+Enter runs;
 * Esc hands focus back to the page (so arrows step playback again); an error's line is
 * marked in the gutter and with a band, and the caret jumps to it.
 *
 * Speed: an input event costs O(text) string scanning and O(lines added or removed) DOM
 * work, never a rebuild of every line number or a forced layout. A paste arrives as many
 * input events (Chromium's and Playwright's insertText go line by line), and rebuilding
 * 500 numbers on each made a 500-line paste take ~25 s.
 */

/** Number of lines in s (one more than its newlines), without allocating the split. */
function lineCount(s) {
  let n = 1;
  for (let k = s.indexOf('\n'); k !== -1; k = s.indexOf('\n', k + 1)) n++;
  return n;
}

export class Editor {
  constructor(root, { onRun }) {
    this.root = root;
    this.ta = root.querySelector('textarea');
    this.gutter = root.querySelector('.gutter');
    this.band = root.querySelector('.errband');
    this.errLine = null;
    this.ta.addEventListener('input', () => {
      this.clearError();
      this.renumber();
    });
    // The gutter follows the text's scroll; typing that scrolls the text fires this too.
    this.ta.addEventListener('scroll', () => this.sync());
    this.ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        this.ta.blur(); // the graph is what the student looks at next: arrows step it
        onRun();
      } else if (ev.key === 'Escape') {
        this.ta.blur();
      }
      ev.stopPropagation(); // arrows and space edit text here, they do not step playback
    });
    this.renumber();
  }

  get value() {
    return this.ta.value;
  }

  set value(v) {
    this.ta.value = v;
    this.clearError();
    this.renumber();
    this.sync();
  }

  /** Make the gutter hold exactly one number per line, adding or removing only the difference. */
  renumber() {
    const want = lineCount(this.ta.value);
    const g = this.gutter;
    let have = g.childElementCount;
    if (want > have) {
      const frag = document.createDocumentFragment();
      while (have < want) {
        const d = document.createElement('div');
        d.textContent = String(++have);
        frag.appendChild(d);
      }
      g.appendChild(frag);
    } else {
      while (have > want) {
        g.lastElementChild.remove();
        have--;
      }
    }
  }

  sync() {
    this.gutter.scrollTop = this.ta.scrollTop;
    if (this.errLine) {
      this.band.style.top = `${this.metrics.pt + (this.errLine - 1) * this.metrics.lh - this.ta.scrollTop}px`;
    }
  }

  markError(line, column) {
    this.setErrLine(line);
    // Line metrics are read here, once per error, not on every scroll.
    const cs = getComputedStyle(this.ta);
    this.metrics = { lh: parseFloat(cs.lineHeight), pt: parseFloat(cs.paddingTop) };
    this.band.style.height = `${this.metrics.lh}px`;
    this.band.hidden = false;
    // Put the caret at the error so the student sees where to fix.
    const lines = this.ta.value.split('\n');
    let off = 0;
    for (let k = 0; k < Math.min(line - 1, lines.length); k++) off += lines[k].length + 1;
    off += Math.max(0, (column || 1) - 1);
    this.ta.focus();
    this.ta.setSelectionRange(off, off);
    this.sync();
  }

  clearError() {
    if (this.errLine == null) return;
    this.setErrLine(null);
    this.band.hidden = true;
  }

  setErrLine(line) {
    this.gutter.children[this.errLine - 1]?.classList.remove('err');
    this.errLine = line;
    if (line) this.gutter.children[line - 1]?.classList.add('err');
  }
}
