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

async function call(path, options = {}, { text = false } = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { 'Content-Type': 'application/json' }, ...options });
  } catch {
    throw new ApiError('Cannot reach the gradwalk server. Is it still running? (check the terminal running `make run`)');
  }
  if (text && res.ok) return res.text();
  let body = null;
  try {
    body = await res.json();
  } catch {
    if (res.ok) throw new ApiError(`The server sent an unreadable answer (HTTP ${res.status}).`, { status: res.status });
  }
  if (res.ok) return body;
  const detail = Array.isArray(body?.detail) ? body.detail : body?.detail ? [{ msg: String(body.detail) }] : [];
  const first = detail[0] || {};
  let msg = first.msg || `The server answered HTTP ${res.status}.`;
  if (!first.line && first.loc) msg = `${first.loc.filter((x) => x !== 'body').join('.')}: ${msg}`;
  if (res.status === 404) msg = `${path} is not available on this server (HTTP 404).`;
  if (res.status >= 500) msg = `The server failed (HTTP ${res.status}). ${first.msg || 'Please try again or report it.'}`;
  throw new ApiError(msg, { status: res.status, line: first.line ?? null, column: first.column ?? null, detail });
}

export const post = (path, body) => call(path, { method: 'POST', body: JSON.stringify(body) });

/** POST /api/v1/expression with a layout. */
export const expression = (source) => post('/api/v1/expression', { source, layout: true });

/** POST /api/v1/python with a layout: a program run in the sandbox (stdout, engine, checks, snapshots). */
export const python = (source) => post('/api/v1/python', { source, layout: true });

/** POST /api/v1/export/page: the page with `state` (a graph it shows and its view) as HTML text. */
export const exportPage = (state) => call('/api/v1/export/page', { method: 'POST', body: JSON.stringify(state) }, { text: true });

/** POST /api/v1/mlp with a layout. */
export const mlp = (spec) => post('/api/v1/mlp', { ...spec, layout: true });

/** A list from an answer that is either a list or {key: list}. */
const listOf = (body, key) => (Array.isArray(body) ? body : Array.isArray(body?.[key]) ? body[key] : []);

export const examples = async () => listOf(await call('/api/v1/examples'), 'examples');
export const ops = async () => listOf(await call('/api/v1/ops'), 'ops');
/** The presets; with `samples`, their inputs and targets too (digits makes that ~600 KB: fetched when needed). */
export const datasets = async (samples = false) => listOf(await call(`/api/v1/datasets?samples=${samples}`), 'datasets');
