import { createCrewChart } from './crew-chart.js';

/** The sequential process (id `crew.sequential`): every task is run by its own agent. */
export const sequentialCrewMachine = createCrewChart('sequential');
