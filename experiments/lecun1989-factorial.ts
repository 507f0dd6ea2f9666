/**
 * Where did 33 years of progress come from? The 1989 net as a full 2^6 factorial over the
 * ladder's changes, each on or off, every recipe built from the ladder's own fields
 * (lib/lecun/config.ts):
 *
 * - `ce`: softmax + cross-entropy (no output tanh, output bias 0) instead of tanh + MSE
 *   against ±1 targets (output bias −1);
 * - `adamw`: AdamW (β 0.9/0.999, ε 1e-8, weight decay 0.01) with lr 3e-4 decaying linearly to
 *   1e-4 over the passes, the ladder's adamw step, instead of SGD at a constant rate: 0.03 with
 *   MSE (the 1989 rate), 0.01 with cross-entropy (the ladder's ce step); AdamW's rate is the
 *   same with either loss;
 * - `augment`: random shifts of up to ±1 pixel in x and y;
 * - `relu_dropout`: ReLU in every hidden layer and dropout 0.25 on H3's input; with MSE the
 *   output keeps its tanh (targets are ±1, which a ReLU output cannot reach), with
 *   cross-entropy it has none;
 * - `more_data`: 50,000 train digits (the ladder's 50k rows; they contain the 7,291) instead of
 *   7,291; the 2007 test digits never change;
 * - `more_passes`: 92 passes instead of 23 (4×); learning-rate schedules stretch over them.
 *
 * Everything else is the 1989 recipe: batch size 1, the 1989 initialization, width 1. Seeds
 * 1337, 1338, 1339 (initialization, shifts and dropout masks) in every cell.
 *
 * The data and pass levels are the one-value axes `data_levels` and `pass_levels`
 * ([off, on]). The `cpu` preset is a smoke run of the whole pipeline: 1 seed, 500 / 2,000
 * digits, 3 / 12 passes (4× each, like the 4× passes of the published design); its cost is
 * mostly the per-pass evaluation of the 2007 test digits and the compilation of the 8 fused
 * kernels. `seeds6` adds three seeds to the published run (its first three are the same
 * trials).
 *
 * `deno task sweep lecun1989-factorial` (192 trials), `--preset cpu` (64), `--preset seeds6`.
 *
 * Run time on the 2-core lavapipe machine: a seed of the grid trains 16 × (7,291 + 50,000) ×
 * (23 + 92) ≈ 105M examples, 316M for three seeds; at the ≈ 18,000 examples/s that the published
 * ladder runs reached with trainLecun's evaluation after every pass (results/lecun1989:
 * baseline-50k, 5M examples in 265 s; five baseline runs in one dispatch, 0.84M in 48 s), about
 * 5 hours. Much of that is the per-pass evaluation: training alone runs at ≈ 50,000
 * examples/s with four runs a dispatch (README, Speed), so evaluating only after the last pass
 * would bring it to about 2 hours. The cpu smoke run measured far less on a busy day (one run a
 * dispatch, as the runner trains today: ≈ 3,600 training and ≈ 12,900 evaluation examples/s,
 * the baseline run 56 s against the README's 8.5 s): at those rates the grid would take about
 * 32 hours, 25 without the per-pass evaluation. The cpu preset took 491 s that day (64 trials,
 * 228 s of it compiling the 8 kernels). Measured since packing: the published run took 8,913 s
 * (2.5 hours, 192 trials in 32 packs of 6, ≈ 35,000 training examples/s) on 2026-12-03.
 *
 * Seeds are common random numbers: seed s draws the same initialization (up to the output
 * bias), shifts and dropout masks in every cell. The analysis resamples seeds independently
 * within each cell, which ignores that pairing (conservative when it correlates cells
 * positively).
 *
 * @module
 */
import { findVariant, type LecunConfig, lecunConfig } from "../lib/lecun/config.ts";
import { lecunPack, runLecunTrial } from "../lib/lecun/trial.ts";
import { defineSweep, type PackSpec } from "../lib/sweep/define.ts";
import type { Config } from "../lib/sweep/json.ts";
import { analyzeFactorial, FACTORIAL_FACTORS } from "../lib/analysis/factorial.ts";

const BASELINE = findVariant("baseline").config;
const CE = findVariant("ce").config;
const ADAMW = findVariant("adamw").config;
const MODERN = findVariant("modern").config;

/** The four algorithm switches of a recipe, each 0 (off) or 1 (on). */
export interface Algorithms {
  ce: number;
  adamw: number;
  augment: number;
  relu_dropout: number;
}

const ALGORITHM_NAMES = ["ce", "adamw", "augment", "relu_dropout"] as const;

function isOn(value: unknown, name: string): boolean {
  if (value !== 0 && value !== 1) {
    throw new Error(`${name} must be 0 (off) or 1 (on), got ${JSON.stringify(value)}`);
  }
  return value === 1;
}

/**
 * The recipe of one run: the 1989 recipe with the algorithm switches applied, on `trainSize`
 * digits for `passes` passes; validated by `lecunConfig` (one-line errors).
 *
 * @example
 * ```ts
 * const modern = lecun1989Recipe({ ce: 1, adamw: 1, augment: 1, relu_dropout: 1 },
 *   { trainSize: 7291, passes: 80, seed: 1337 }); // the ladder's modern recipe
 * ```
 */
export function lecun1989Recipe(
  algorithms: Algorithms,
  run: { trainSize: number; passes: number; seed: number },
): LecunConfig {
  const [ce, adamw, augment, relu] = ALGORITHM_NAMES.map((name) => isOn(algorithms[name], name));
  const sgdRate = ce ? CE.lr : BASELINE.lr;
  const on = ALGORITHM_NAMES.filter((name) => algorithms[name] === 1);
  return lecunConfig("baseline", {
    variant: on.length === 0 ? "1989" : on.join("+"),
    loss: ce ? "ce" : "mse",
    optimizer: adamw ? "adamw" : "sgd",
    lr: adamw ? ADAMW.lr : sgdRate,
    lrEnd: adamw ? ADAMW.lrEnd : sgdRate,
    weightDecay: adamw ? ADAMW.weightDecay : 0,
    augment,
    activation: relu ? MODERN.activation : BASELINE.activation,
    dropout: relu ? MODERN.dropout : 0,
    trainSize: run.trainSize,
    passes: run.passes,
    seed: run.seed,
  });
}

/** The level pair of a factor: two increasing positive integers [off, on]. */
function levels(value: unknown, name: string): [number, number] {
  const ok = Array.isArray(value) && value.length === 2 &&
    value.every((v) => Number.isInteger(v) && v > 0) && value[0] < value[1];
  if (!ok) {
    throw new Error(
      `${name} must be two increasing positive integers [off, on], got ${JSON.stringify(value)}`,
    );
  }
  return value as [number, number];
}

/** The train size and passes of a factorial cell, from its switches and the level pairs. */
function cellBudget(config: Config): { train_size: number; passes: number } {
  return {
    train_size: levels(config.data_levels, "data_levels")[
      isOn(config.more_data, "more_data") ? 1 : 0
    ],
    passes:
      levels(config.pass_levels, "pass_levels")[isOn(config.more_passes, "more_passes") ? 1 : 0],
  };
}

/**
 * The recipe of a factorial trial (its config: the six switches, `seed`, `data_levels`,
 * `pass_levels`).
 *
 * @example
 * ```ts
 * factorialRecipe({ ce: 0, adamw: 0, augment: 0, relu_dropout: 0, more_data: 0, more_passes: 0,
 *   seed: 1337, data_levels: [7291, 50000], pass_levels: [23, 92] }); // the 1989 baseline
 * ```
 */
export function factorialRecipe(config: Config): LecunConfig {
  const { train_size, passes } = cellBudget(config);
  if (!Number.isInteger(config.seed)) {
    throw new Error(`seed must be an integer, got ${JSON.stringify(config.seed)}`);
  }
  return lecun1989Recipe(config as unknown as Algorithms, {
    trainSize: train_size,
    passes,
    seed: config.seed as number,
  });
}

/**
 * Evaluations at a quarter, half, three quarters and the end of a run: the analysis reads only
 * the final errors, and evaluating every pass would cost a third of the time.
 */
export function quarterOfPasses(recipe: LecunConfig): number {
  return Math.ceil(recipe.passes / 4);
}

/**
 * The factorial's pack: a key holds the 2 augment levels × the seeds of a cell (augmentation is
 * a per-run switch of the fused kernel), 6 trials with 3 seeds, 12 with 6.
 */
export const pack: PackSpec<Config> = lecunPack(factorialRecipe, {
  evaluateEvery: quarterOfPasses,
});

const SWITCH = [0, 1];

export const sweep = defineSweep({
  name: "lecun1989-factorial",
  version: 1,
  axes: {
    ...Object.fromEntries(FACTORIAL_FACTORS.map((factor) => [factor, SWITCH])),
    seed: [1337, 1338, 1339],
    data_levels: [[BASELINE.trainSize, findVariant("modern-50k").config.trainSize]],
    pass_levels: [[BASELINE.passes, 4 * BASELINE.passes]],
  },
  // The train size and passes of the cell; building the recipe checks every trial before any
  // training starts.
  derive: (config) => {
    factorialRecipe(config);
    return cellBudget(config);
  },
  presets: {
    cpu: { seed: [1337], data_levels: [[500, 2000]], pass_levels: [[3, 12]] },
    seeds6: { seed: [1337, 1338, 1339, 1340, 1341, 1342] },
  },
  objective: { metric: "test_error", goal: "min" },
  divergeOn: ["train_loss"],
  pack,
  run: (config, ctx) => runLecunTrial(factorialRecipe(config), ctx),
});

/**
 * Effects, Shapley values and the ladder of a finished sweep: `fits.json`, `shapley.*`,
 * `interactions.*`, `ladder.*`.
 */
export const analyze = (dir: string) => analyzeFactorial(dir, { version: sweep.version });
