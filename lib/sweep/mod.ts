/**
 * The sweep engine: declarative experiment files, resumable and shardable grid sweeps with one
 * atomic JSON file per trial, live progress (terminal, logs, notebook), and results as arquero
 * tables.
 *
 * @example
 * ```ts
 * import { defineSweep, loadResults, runSweep } from "./mod.ts";
 * const sweep = defineSweep({
 *   name: "square",
 *   version: 1,
 *   axes: { x: [1, 2, 3], seed: [0, 1] },
 *   run: (config, ctx) => {
 *     ctx.report(0, { loss: config.x ** 2 });
 *     return { loss: config.x ** 2 };
 *   },
 * });
 * await runSweep(sweep, { out: "out/square", workers: 2 });
 * (await loadResults("out/square")).print();
 * ```
 *
 * @module
 */

export {
  type AdapterLimits,
  type AxisMap,
  type ConfigOf,
  defineSweep,
  isSweep,
  MAX_TIMEOUT_SECONDS,
  type Objective as SweepObjective,
  type PackContext,
  packSignal,
  type PackSpec,
  type ReportedMetrics,
  type Sweep,
  SweepDefinitionError,
  type SweepDevice,
  type SweepSpec,
  type TrialContext,
  type TrialMetrics,
  type TrialResult,
} from "./define.ts";
export type { Config as TrialConfig } from "./json.ts";
export { type PlannedTrial, type PlanOptions, planTrials } from "./plan.ts";
export { trialId } from "./identity.ts";
export { formatShard, parseShard, selectShard, type Shard } from "./shard.ts";
export { defaultResultsDir, runSweep, type RunSweepOptions, type SweepOutcome } from "./runner.ts";
export {
  type ForeignRecord,
  identityProblem,
  loadPlanRecords,
  type PlanRecords,
} from "./plan_records.ts";
export { type IsolateCommand, serveIsolate } from "./isolate.ts";
export { gitCommit } from "./git.ts";
export { formatStatus, type SweepStatus, sweepStatus, type TrialState } from "./status.ts";
export {
  historyTable,
  loadHistory,
  loadResults,
  type PlanSelection,
  type ResultsTable,
  resultsTable,
  type SummaryFiles,
  tidyHistoryTable,
  writeSummary,
} from "./results.ts";
export {
  type HistoryPoint,
  readTrialRecords,
  type TrialPlanNote,
  type TrialRecord,
  type TrialStatus,
} from "./store.ts";
export { loadExperiment } from "./experiment.ts";
export type { ProgressEvent, ProgressSink } from "./progress.ts";
export { type ProgressMode, progressSink } from "./progress_select.ts";
export { TtyProgress } from "./progress_tty.ts";
export { JsonLinesProgress } from "./progress_json.ts";
export { type DisplayFunction, NotebookProgress } from "./progress_notebook.ts";
