/**
 * Which language runs a source: gradwalk's expression language (IEEE arithmetic, 300,000 nodes)
 * or Python in the server's sandbox (docs/api.md, Python programs).
 *
 * "auto" sends what can only be Python (def, class, for, import, lists, print, ...) to the
 * sandbox, and everything else to the expression language first; a source the expression
 * language rejects is tried as Python, and when Python rejects it too the expression
 * language's error is shown: an expression typo never gets a worse message than before.
 */
import * as api from './api.js';

export const LANGUAGES = { auto: 'auto', expression: 'expression', python: 'python' };

// Statements and syntax the expression language does not have (docs/api.md, Expression language).
const PYTHON_ONLY = [
  /^\s*(def|class|for|while|if|elif|else|try|except|finally|with|return|lambda|assert|raise|global|yield|async|await)\b/m,
  /^\s*(import(?!\s+math\s*$)|from\s+\S+\s+import)\b/m,
  /\bprint\s*\(/,
  /[[\]{}]/,
];

/** True when the source uses something only Python has (comments and strings are not looked into). */
export function looksLikePython(source) {
  const code = source.replace(/#[^\n]*/g, '').replace(/'[^'\n]*'|"[^"\n]*"/g, "''");
  return PYTHON_ONLY.some((re) => re.test(code));
}

/** Source errors worth a second try as Python: the language lacks it (not a limit, not a typo in it). */
const isSourceError = (err) => {
  const type = err.detail[0]?.type || '';
  return err.status === 422 && type.startsWith('source.') && type !== 'source.output' && type !== 'source.empty';
};

/**
 * Run `source` in `language` ("auto", "expression" or "python").
 * Resolves to {graph, language}, language being the one that ran; throws the ApiError to show.
 */
export async function runSource(source, language = 'auto') {
  if (language === 'python' || (language === 'auto' && looksLikePython(source))) {
    return { graph: await api.python(source), language: 'python' };
  }
  try {
    return { graph: await api.expression(source), language: 'expression' };
  } catch (err) {
    if (language !== 'auto' || !(err instanceof api.ApiError) || !isSourceError(err)) throw err;
    try {
      return { graph: await api.python(source), language: 'python' };
    } catch (second) {
      if (!(second instanceof api.ApiError)) throw second;
      throw err; // it looked like an expression: its own error says more
    }
  }
}
