import { toDot, toMermaid, toStudioJSON } from '../visualize/index.js';
import type { Command } from './args.js';
import { loadCrew } from './load-crew.js';

/** `statecrew visualize <module>`: the crew's statechart as Mermaid, DOT or Stately Studio JSON. */
export async function visualize(args: Extract<Command, { name: 'visualize' }>): Promise<number> {
  const crew = await loadCrew(args.module, args.exportName);
  const text =
    args.format === 'dot'
      ? toDot(crew)
      : args.format === 'json'
        ? JSON.stringify(toStudioJSON(crew), null, 2)
        : toMermaid(crew);
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}
