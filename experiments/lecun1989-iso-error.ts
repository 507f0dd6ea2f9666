/**
 * The compute-equivalent of 33 years of algorithms: the 1989 recipe (tanh, MSE, SGD 0.03) and
 * the modern one (cross-entropy, AdamW 3e-4 → 1e-4, ±1 px shifts, ReLU and dropout 0.25; the
 * factorial's cell with the four algorithm switches on, lecun1989-factorial.ts) on a full 5 × 5
 * grid of train digits D = 1,000 … 50,000 (1,000, 2,700, 7,291, 19,100, 50,000: about 2.7× a
 * step, through the 1989 set) and passes P = 6 … 92 (doubling, through the 1989 23), four seeds
 * each. The analysis fits error = E + A·D^(−α) + B·P^(−β) per recipe and finds how many times
 * more digits, or passes, the 1989 recipe needs for the modern recipe's error at 7,291 digits
 * and 23 passes.
 *
 * Design: the full grid rather than two one-factor lines, so that E, the data term and the
 * passes term are pinned by more than their sum at one corner; four seeds because a pack of a
 * cell's seeds is one fused dispatch and on a 2-core CPU four runs cost what three do. The
 * `cpu` preset is a smoke run: one seed on D = 250 … 4,000 and P = 2 … 12 (its comparison at
 * 7,291 digits and 23 passes is an extrapolation, and fits.json says so).
 *
 * `deno task sweep lecun1989-iso-error` (200 trials) or `--preset cpu` (50).
 *
 * Run time on the 2-core lavapipe machine: a recipe and seed train (6 + 12 + 23 + 46 + 92) ×
 * (1,000 + 2,700 + 7,291 + 19,100 + 50,000) ≈ 14.3M examples, 115M in all. The published run
 * took 3,087 s (51 min, ≈ 37,000 examples/s, a cell's four seeds one pack, evaluation after
 * every quarter of the passes) in two parts: 818 s until a session ended it with 56 trials done,
 * then 2,269 s resuming the other 144. The cpu preset took 322 s on a busy day.
 *
 * @module
 */
import { defineSweep } from "../lib/sweep/define.ts";
import type { Config } from "../lib/sweep/json.ts";
import { analyzeIsoError } from "../lib/analysis/iso_error.ts";
import { type Algorithms, lecun1989Recipe, quarterOfPasses } from "./lecun1989-factorial.ts";
import { lecunPack, runLecunTrial } from "../lib/lecun/trial.ts";

/** The algorithm switches of the two recipes. */
const RECIPES: Record<string, Algorithms> = {
  "1989": { ce: 0, adamw: 0, augment: 0, relu_dropout: 0 },
  modern: { ce: 1, adamw: 1, augment: 1, relu_dropout: 1 },
};

function algorithmsOf(recipe: unknown): Algorithms {
  const algorithms = typeof recipe === "string" && Object.hasOwn(RECIPES, recipe)
    ? RECIPES[recipe]
    : undefined;
  if (!algorithms) {
    throw new Error(
      `recipe must be one of ${Object.keys(RECIPES).join(", ")}, got ${JSON.stringify(recipe)}`,
    );
  }
  return algorithms;
}

function isoRecipe(config: Config) {
  return lecun1989Recipe(algorithmsOf(config.recipe), {
    trainSize: config.train_size as number,
    passes: config.passes as number,
    seed: config.seed as number,
  });
}

/** The grid's pack: for the runner's `pack:` field (a cell's seeds train as one dispatch). */
export const pack = lecunPack(isoRecipe, { evaluateEvery: quarterOfPasses });

export const sweep = defineSweep({
  name: "lecun1989-iso-error",
  version: 1,
  axes: {
    recipe: Object.keys(RECIPES),
    train_size: [1000, 2700, 7291, 19100, 50000],
    passes: [6, 12, 23, 46, 92],
    seed: [1337, 1338, 1339, 1340],
  },
  // The recipe's four switches, as columns of the summary; building the recipe checks every
  // trial before any training starts.
  derive: (config) => {
    isoRecipe(config);
    return { ...algorithmsOf(config.recipe) };
  },
  presets: {
    cpu: {
      train_size: [250, 500, 1000, 2000, 4000],
      passes: [2, 3, 5, 8, 12],
      seed: [1337],
    },
  },
  objective: { metric: "test_error", goal: "min" },
  divergeOn: ["train_loss"],
  pack,
  run: (config, ctx) => runLecunTrial(isoRecipe(config), ctx),
});

/** The laws and multipliers of a finished sweep: `fits.json`, `iso-error.*`, `error-vs-data.*`. */
export const analyze = (dir: string) => analyzeIsoError(dir, { version: sweep.version });
