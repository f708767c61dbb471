export const USAGE = `Usage: statecrew <command> [options]

Commands:
  run <module>                 Run the crew the module exports; print its final output on stdout
  visualize <module>           Print the diagram of the crew's statechart
  resume <runId> <module>      Finish a run from its last checkpoint (tasks already done are kept)
  replay <taskId> <module>     Run again from a task, with the earlier outputs of a checkpointed run

Options:
  --export NAME                The module's export to use (default: the default export); it may be
                               a Crew or a function returning a Crew (or a Promise of one)
  --inputs JSON                Kickoff inputs, a JSON object: --inputs '{"topic":"AI agents"}'
                               (run, replay)
  --inspect URL                Send the run to a Stately inspector at a ws:// or wss:// URL
                               (run, resume, replay)
  --checkpoint-dir DIR         Checkpoint after every task in DIR (run); read checkpoints from
                               DIR (resume, replay). Default: the crew's own checkpoint store;
                               resume and replay need one or the other
  --run-id ID                  run: the new run's id; replay: the run to replay (default: latest)
  --verbose                    Show every step (tools, delegation, guardrails), not one line per task
  --format mermaid|dot|json    Diagram format for visualize (default: mermaid)
  -h, --help                   Show this help
  --version                    Show the version

Modules may be TypeScript (.ts, .mts, .cts, loaded with tsx) or JavaScript (.js, .mjs, .cjs).
Progress and the run id go to stderr; the final output goes to stdout.
Exit codes: 0 done, 1 the run failed (or the module threw), 2 bad usage, 130 interrupted.
`;
