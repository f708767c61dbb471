export { toMermaid, type MermaidOptions } from './mermaid.js';
export { toDot } from './dot.js';
export { toStudioJSON } from './studio.js';
export { machineOf, type DiagramTarget } from './target.js';
