/**
 * The only module that talks to the gradwalk API. Every call resolves to parsed JSON or
 * throws an ApiError with a message a student can read (server errors, network failures
 * and the API's {"detail": [{msg, type, line, column}]} shape alike).
 */

export class ApiError extends Error {
  constructor(message, { status = 0, line = null, column = null, detail = [] } = {}) {
    super(message);
    this.status = status;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

const UNREACHABLE = 'Cannot reach the gradwalk server. Is it still running? (check the terminal running `make run`)';

/** The ApiError a student reads for an HTTP error answer `body` ({"detail": [...]} or anything else). */
function errorOf(path, status, body) {
  const detail = Array.isArray(body?.detail) ? body.detail : body?.detail ? [{ msg: String(body.detail) }] : [];
  const first = detail[0] || {};
  let msg = first.msg || `The server answered HTTP ${status}.`;
  if (!first.line && first.loc) msg = `${first.loc.filter((x) => x !== 'body').join('.')}: ${msg}`;
  if (status === 404) msg = `${path} is not available on this server (HTTP 404).`;
  if (status >= 500) msg = `The server failed (HTTP ${status}). ${first.msg || 'Please try again or report it.'}`;
  return new ApiError(msg, { status, line: first.line ?? null, column: first.column ?? null, detail });
}

async function call(path, options = {}, { text = false } = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { 'Content-Type': 'application/json' }, ...options });
  } catch {
    throw new ApiError(UNREACHABLE);
  }
  if (text && res.ok) return res.text();
  let body = null;
  try {
    body = await res.json();
  } catch {
    if (res.ok) throw new ApiError(`The server sent an unreadable answer (HTTP ${res.status}).`, { status: res.status });
  }
  if (res.ok) return body;
  throw errorOf(path, res.status, body);
}

export const post = (path, body) => call(path, { method: 'POST', body: JSON.stringify(body) });

/** POST /api/v1/expression with a layout. */
export const expression = (source) => post('/api/v1/expression', { source, layout: true });

/** POST /api/v1/python with a layout: a program run in the sandbox (stdout, engine, checks, snapshots). */
export const python = (source) => post('/api/v1/python', { source, layout: true });

/** POST /api/v1/export/page: the page with `state` (a graph it shows and its view) as HTML text. */
export const exportPage = (state) => call('/api/v1/export/page', { method: 'POST', body: JSON.stringify(state) }, { text: true });

/**
 * POST /api/v1/mlp with a layout, streamed (Accept: application/x-ndjson): `onProgress(step, loss)`
 * hears each progress line while training runs; resolves to the result. Aborting `signal` closes
 * the connection, which stops the server's work (docs/api.md, Streaming an MLP's training).
 */
export async function mlpStream(spec, { onProgress, signal }) {
  let res;
  try {
    res = await fetch('/api/v1/mlp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
      body: JSON.stringify({ ...spec, layout: true }),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(UNREACHABLE);
  }
  if (!res.ok || !(res.headers.get('content-type') || '').includes('ndjson')) {
    let body = null;
    try { body = await res.json(); } catch { /* an unreadable error body */ }
    if (res.ok) return body; // a server that does not stream answered in one piece
    throw errorOf('/api/v1/mlp', res.status, body);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      const ev = JSON.parse(line);
      if (ev.event === 'progress') onProgress?.(ev.step, ev.loss);
      else if (ev.event === 'result') { const { event, ...result } = ev; return result; }
      else if (ev.event === 'error') throw errorOf('/api/v1/mlp', ev.status, ev);
    }
  }
  throw new ApiError('The training stream ended before its result (the server stopped?).');
}

/** POST /api/v1/mlp with a layout. */
export const mlp = (spec) => post('/api/v1/mlp', { ...spec, layout: true });

/** A list from an answer that is either a list or {key: list}. */
const listOf = (body, key) => (Array.isArray(body) ? body : Array.isArray(body?.[key]) ? body[key] : []);

export const examples = async () => listOf(await call('/api/v1/examples'), 'examples');
export const ops = async () => listOf(await call('/api/v1/ops'), 'ops');
/** The presets; with `samples`, their inputs and targets too (digits makes that ~600 KB: fetched when needed). */
export const datasets = async (samples = false) => listOf(await call(`/api/v1/datasets?samples=${samples}`), 'datasets');
