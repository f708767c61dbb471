import { createCrewChart } from './crew-chart.js';

/**
 * The hierarchical process (id `crew.hierarchical`): a manager actor runs every task and sends
 * `delegate_work` / `ask_question` events to the worker agent actors.
 */
export const hierarchicalCrewMachine = createCrewChart('hierarchical');
