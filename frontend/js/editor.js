/**
 * The expression editor: a monospace textarea with line numbers; Ctrl/Cmd+Enter runs;
 * an error's line is marked in the gutter and with a band, and the caret jumps to it.
 */

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
    this.ta.addEventListener('scroll', () => this.sync());
    this.ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        onRun();
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
  }

  renumber() {
    const n = this.ta.value.split('\n').length;
    let s = '';
    for (let k = 1; k <= n; k++) s += `<div${k === this.errLine ? ' class="err"' : ''}>${k}</div>`;
    this.gutter.innerHTML = s;
    this.sync();
  }

  sync() {
    this.gutter.scrollTop = this.ta.scrollTop;
    if (this.errLine) {
      const lh = parseFloat(getComputedStyle(this.ta).lineHeight);
      const pt = parseFloat(getComputedStyle(this.ta).paddingTop);
      this.band.style.top = `${pt + (this.errLine - 1) * lh - this.ta.scrollTop}px`;
      this.band.style.height = `${lh}px`;
    }
  }

  markError(line, column) {
    this.errLine = line;
    this.band.hidden = false;
    this.renumber();
    // Put the caret at the error so the student sees where to fix.
    const lines = this.ta.value.split('\n');
    let off = 0;
    for (let k = 0; k < Math.min(line - 1, lines.length); k++) off += lines[k].length + 1;
    off += Math.max(0, (column || 1) - 1);
    this.ta.focus();
    this.ta.setSelectionRange(off, off);
  }

  clearError() {
    if (this.errLine == null) return;
    this.errLine = null;
    this.band.hidden = true;
    this.renumber();
  }
}
