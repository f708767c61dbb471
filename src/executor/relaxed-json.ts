/**
 * Tool arguments as models write them when they do not write JSON (ReAct models above all): Python
 * literals (`{'q': 'x', 'all': True}`), bare keys (`{q: "x"}`), trailing commas. crewAI reads those too
 * (`ast.literal_eval`, json5, repair). Only a text `JSON.parse` refused comes here; undefined when the
 * repaired text is not JSON either, so the model is told the original error.
 */
export function parseRelaxedJson(text: string): unknown {
  let repaired = text;
  // Single quotes as quotes only when there are no double quotes to confuse them with.
  if (!repaired.includes('"')) repaired = repaired.replaceAll("'", '"');
  repaired = repaired
    .replace(/([{,]\s*)([A-Za-z_$][\w$-]*)\s*:/g, '$1"$2":')
    .replace(/:\s*True\s*([,}\]])/g, ': true$1')
    .replace(/:\s*False\s*([,}\]])/g, ': false$1')
    .replace(/:\s*None\s*([,}\]])/g, ': null$1')
    .replace(/,\s*([}\]])/g, '$1');
  try {
    return JSON.parse(repaired);
  } catch {
    return undefined;
  }
}
