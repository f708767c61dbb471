// What a user writes to test their crew model-based: every generated path runs the real crew with
// scripted models, guardrails, conditions and reviewer, and checks what each task went through.
import { describe, it } from 'vitest';
import { crewTestPaths } from '../../src/testing/index.js'; // in your project: 'statecrew/testing'
import { createResearchWriteCrew } from '../../examples/model-based-crew.js';

const paths = crewTestPaths(createResearchWriteCrew(), { inputs: { topic: 'octopuses' } });

describe(`research → write crew: ${paths.length} model-based paths`, () => {
  for (const path of paths) it(path.description, () => path.run());
});
