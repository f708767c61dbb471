/**
 * Tool arguments as models write them when they do not write JSON (ReAct models above all): Python
 * literals (`{'q': "Bob's", 'all': True}`), bare keys (`{q: "x"}`), trailing commas. crewAI reads those too
 * (`ast.literal_eval`, json5, repair). Only a text `JSON.parse` refused comes here. What is inside a string
 * is never changed (only its quotes); undefined when the text is not JSON even so, and the model is told
 * the original error.
 */
export function parseRelaxedJson(text: string): unknown {
  const json = asJson(text);
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

const LITERALS: Record<string, string> = { True: 'true', False: 'false', None: 'null' };

/** The text rewritten as JSON, token by token outside strings; undefined for an unterminated string. */
function asJson(text: string): string | undefined {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === '"' || char === "'") {
      const end = closingQuote(text, at);
      if (end < 0) return undefined;
      out += jsonString(text.slice(at + 1, end), char);
      at = end + 1;
    } else if (/[A-Za-z_$]/.test(char)) {
      const word = /^[\w$]+/.exec(text.slice(at))![0];
      at += word.length;
      const isKey = /^\s*:/.test(text.slice(at));
      out += isKey ? JSON.stringify(word) : (LITERALS[word] ?? word);
    } else if (char === ',' && /^\s*[}\]]/.test(text.slice(at + 1))) {
      at++; // a trailing comma
    } else {
      out += char;
      at++;
    }
  }
  return out;
}

/** Where the string opened at `start` closes (its quote not escaped), or -1. */
export function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let at = start + 1; at < text.length; at++) {
    if (text[at] === '\\') at++;
    else if (text[at] === quote) return at;
  }
  return -1;
}

/** A string's content, written between the quotes `quote`, as a JSON string. */
function jsonString(content: string, quote: string): string {
  if (quote === '"') return `"${content}"`;
  // Single-quoted: `\'` is a quote, and a bare `"` must be escaped in JSON.
  return `"${content.replace(/\\'/g, "'").replace(/(^|[^\\])"/g, '$1\\"')}"`;
}
