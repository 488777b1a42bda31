/**
 * Page state in the URL hash, so a link reproduces the view (TensorFlow Playground's way):
 *   #mode=expression&source=<text>&pos=<playback position>&view=<full|neuron|layer>
 *   #mode=mlp&spec=<JSON of the MLP form>&pos=...&view=...
 * plus &lang=expression|python when the source's language is not picked automatically,
 * &present=1 (presentation: large, graph and playback only) and &embed=1 (for an iframe).
 */

/**
 * localStorage where it works: in a sandboxed or cross-site iframe, or with cookies blocked,
 * merely reading it throws; the page then keeps its settings for this visit only.
 */
const memory = new Map();
export const storage = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return memory.get(key) ?? null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      memory.set(key, value);
    }
  },
};

export function readHash(hash = location.hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const st = { mode: q.get('mode') === 'mlp' ? 'mlp' : 'expression' };
  if (q.has('source')) st.source = q.get('source');
  if (q.has('spec')) {
    try {
      st.spec = JSON.parse(q.get('spec'));
    } catch {
      st.spec = null; // a mangled link falls back to the default form
    }
  }
  if (q.has('pos') && /^\d+$/.test(q.get('pos'))) st.pos = Number(q.get('pos'));
  if (q.has('view')) st.view = q.get('view');
  if (['expression', 'python'].includes(q.get('lang'))) st.lang = q.get('lang');
  if (q.get('embed') === '1') st.embed = true;
  if (q.get('present') === '1') st.present = true;
  return st;
}

export function writeHash(st) {
  const q = new URLSearchParams();
  q.set('mode', st.mode);
  if (st.mode === 'mlp' && st.spec) q.set('spec', JSON.stringify(st.spec));
  if (st.mode === 'expression' && st.source != null) q.set('source', st.source);
  if (st.pos != null) q.set('pos', String(st.pos));
  if (st.view) q.set('view', st.view);
  if (st.lang) q.set('lang', st.lang);
  if (st.embed) q.set('embed', '1');
  if (st.present) q.set('present', '1');
  const url = `${location.pathname}${location.search}#${q.toString()}`;
  // replaceState: stepping through a pass should not flood the back button
  try {
    history.replaceState(null, '', url);
  } catch {
    // a sandboxed iframe's opaque origin may not rewrite its URL: the view still works
  }
  return location.href;
}

/** Copy the current link; falls back to a prompt where the clipboard API is unavailable. */
export async function copyLink() {
  try {
    await navigator.clipboard.writeText(location.href);
    return true;
  } catch {
    window.prompt('Copy this link:', location.href);
    return false;
  }
}
