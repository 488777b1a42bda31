/**
 * Page state in the URL hash, so a link reproduces the view (TensorFlow Playground's way):
 *   #mode=expression&source=<text>&pos=<playback position>&view=<full|neuron|layer>
 *   #mode=mlp&spec=<JSON of the MLP form>&pos=...&view=...
 * plus &lang=expression|python when the source's language is not picked automatically.
 */

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
  const url = `${location.pathname}${location.search}#${q.toString()}`;
  // replaceState: stepping through a pass should not flood the back button
  history.replaceState(null, '', url);
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
