/**
 * LeCun sweep trials as packs: trials whose recipes share a group key (same fused kernel, train
 * size, passes and data seed) train as one `trainLecun` dispatch, each trial's context hearing
 * its own passes and getting its own result.
 *
 * Metrics of a trial: `test_error` and `train_error` (percent, the last pass), `test_misses`,
 * `train_loss`, `test_loss`, `parameters`, `pack_size` (runs trained in the dispatch), `train_seconds` (the
 * group's training and evaluation), `compile_seconds`, `adapter_name`.
 *
 * @module
 */
import type { Config } from "../sweep/json.ts";
import {
  type PackContext,
  packSignal,
  type PackSpec,
  type TrialContext,
  type TrialResult,
} from "../sweep/define.ts";
import type { LecunConfig } from "./config.ts";
import { groupKey, type RunResult, trainLecun } from "./run.ts";

/** Most LeCun trials in one pack by default (runs of one dispatch share the kernel's cores). */
export const LECUN_PACK_CAPACITY = 16;

/** The final metrics of one run, as its trial's result (one row of summary.csv). */
export function lecunTrialMetrics(result: RunResult): TrialResult {
  return {
    test_error: result.final.test.error,
    train_error: result.final.train.error,
    test_misses: result.final.test.misses,
    train_loss: result.final.train.loss,
    test_loss: result.final.test.loss,
    parameters: result.parameters,
    pack_size: result.groupSize,
    train_seconds: result.wallSeconds,
    compile_seconds: result.compileSeconds,
    adapter_name: result.adapter,
  };
}

/** Options of {@link lecunPack}. */
export interface LecunPackOptions {
  /** Most trials in one pack (default {@link LECUN_PACK_CAPACITY}). */
  capacity?: number;
  /**
   * Evaluate every this many passes and after the last (default 1: every pass), or a function
   * of the pack's recipe giving it (the recipes of a pack share their passes).
   */
  evaluateEvery?: number | ((recipe: LecunConfig) => number);
}

/**
 * The `pack` of a LeCun sweep whose trial configs give their recipe through `recipeOf`.
 *
 * @example
 * ```ts
 * export const sweep = defineSweep({
 *   name: "lecun1989-factorial", version: 1, axes,
 *   pack: lecunPack(factorialRecipe),
 *   run: (config, ctx) => runLecunTrial(factorialRecipe(config), ctx),
 * });
 * ```
 */
export function lecunPack(
  recipeOf: (config: Config) => LecunConfig,
  options: LecunPackOptions = {},
): PackSpec<Config> {
  const capacity = options.capacity ?? LECUN_PACK_CAPACITY;
  return {
    key: (config) => groupKey(recipeOf(config)),
    capacity: () => capacity,
    run: (configs, contexts) => trainLecunTrials(configs.map(recipeOf), contexts, options),
  };
}

/**
 * One LeCun trial on its own (a pack of one).
 *
 * @example
 * ```ts
 * run: (config, ctx) => runLecunTrial(lecunConfig("baseline", { seed: config.seed as number }), ctx),
 * ```
 */
export async function runLecunTrial(
  recipe: LecunConfig,
  ctx: TrialContext,
  options: LecunPackOptions = {},
): Promise<TrialResult> {
  return (await trainLecunTrials([recipe], [ctx], options))[0];
}

/**
 * Trains the recipes of several trials with one `trainLecun` call; each context hears its own
 * passes. The training stops when every trial's signal is aborted (a trial that diverges alone
 * keeps its place in the dispatch, and the runner records it as diverged).
 */
async function trainLecunTrials(
  recipes: readonly LecunConfig[],
  contexts: readonly (TrialContext | PackContext)[],
  options: LecunPackOptions,
): Promise<TrialResult[]> {
  if (recipes.length !== contexts.length) {
    throw new Error(`a pack of ${recipes.length} trials got ${contexts.length} contexts`);
  }
  const signal = packSignal(contexts);
  signal.throwIfAborted();
  const [gpu] = await Promise.all(contexts.map((ctx) => ctx.device));
  const owner = new Map(recipes.map((recipe, i) => [recipe, contexts[i]]));
  const results = await trainLecun(gpu, recipes, {
    signal,
    evaluateEvery: typeof options.evaluateEvery === "function"
      ? options.evaluateEvery(recipes[0])
      : options.evaluateEvery,
    onPass: (recipe, record) =>
      owner.get(recipe)!.report(record.pass, {
        test_error: record.test.error,
        train_error: record.train.error,
        train_loss: record.train.loss,
      }),
  });
  return results.map(lecunTrialMetrics);
}
