import { createActor, type Actor, type InspectionEvent, type Observer, type Snapshot } from 'xstate';
import type { CrewContext, CrewInput } from '../../machines/crew-chart.js';
import { outcomeList } from '../../machines/crew-outcomes.js';
import { CrewAbortedError } from '../errors.js';
import { filterInspection } from '../inspect/filter.js';
import { CrewOutput } from '../outputs.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../usage.js';
import { runtimeHierarchicalMachine, runtimeSequentialMachine } from './implementations.js';
import type { RunCheckpointer } from './checkpointing.js';
import { registerRun, unregisterRun, type RunEnv } from './run-env.js';

export type CrewMachine = typeof runtimeSequentialMachine;
export type CrewActor = Actor<CrewMachine>;
export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export function machineFor(process: 'sequential' | 'hierarchical'): CrewMachine {
  return process === 'hierarchical' ? runtimeHierarchicalMachine : runtimeSequentialMachine;
}

export interface LaunchOptions {
  env: RunEnv;
  input: CrewInput;
  snapshot?: Snapshot<unknown>;
  inspect?: Inspector;
  signal?: AbortSignal;
  checkpointer?: RunCheckpointer;
}

export interface LaunchedRun {
  actor: CrewActor;
  /** Settles when the run ends; nothing of the run is left running after it settles. */
  result: Promise<CrewOutput>;
  usage(): UsageMetrics;
}

/** Registers a prepared run and creates its crew actor (not started); `launchRun` drives it to the end. */
export function createRunActor(options: LaunchOptions): CrewActor {
  registerRun(options.env);
  const inspect = options.inspect;
  return createActor(machineFor(options.env.process), {
    input: options.input,
    systemId: 'crew',
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    ...(inspect
      ? { inspect: filterInspection(inspect) } // large crews stay inspectable (src/inspect/filter.ts)
      : {}),
  });
}

/** Starts a run and settles with its output, its error, or CrewAbortedError when the signal aborts. */
export function launchRun(options: LaunchOptions): LaunchedRun {
  const { env, signal, checkpointer } = options;
  const actor = createRunActor(options);
  if (checkpointer) env.onHumanInputRequested = () => checkpointer.saveSoon(actor, 'human.input.requested');
  const usage = () => usageSoFar(actor);
  const result = new Promise<CrewOutput>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, output?: CrewOutput) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
      if (!error) checkpointer?.save(actor, 'crew.completed');
      actor.stop();
      unregisterRun(env.runId);
      const saved = checkpointer ? checkpointer.flush() : Promise.resolve();
      saved.then(
        () => settle(error, output),
        (saveError: unknown) => settle(error ?? (saveError as Error), output),
      );
    };
    const settle = (error: Error | undefined, output?: CrewOutput) => {
      if (error) {
        if (env.observed) env.emit({ type: 'crew.failed', runId: env.runId, error });
        reject(error);
      } else {
        if (env.observed) env.emit({ type: 'crew.completed', runId: env.runId, output: output! });
        resolve(output!);
      }
    };
    const onAbort = () => finish(new CrewAbortedError());
    const subscription = actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') finish(undefined, snapshot.output as CrewOutput);
        else checkpointer?.observe(actor);
      },
      error: (error) => finish(error instanceof Error ? error : new Error(String(error))),
    });
    if (signal?.aborted) return finish(new CrewAbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    actor.start();
    if (actor.getSnapshot().status === 'done') finish(undefined, actor.getSnapshot().output as CrewOutput);
  });
  return { actor, result, usage };
}

/** Usage of every task that reported so far (a failed run still used tokens). */
export function usageSoFar(actor: CrewActor): UsageMetrics {
  const context = actor.getSnapshot().context as CrewContext | undefined;
  let usage = emptyUsage();
  for (const outcome of context ? outcomeList(context) : []) usage = addUsage(usage, outcome.usage);
  return usage;
}
