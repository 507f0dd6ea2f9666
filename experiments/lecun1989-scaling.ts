/**
 * The 1989 net's data scaling: LeCun et al.'s convnet in the original recipe (tanh, MSE, SGD
 * lr 0.03, batch size 1) trained on D MNIST train digits at several width multipliers of its
 * hidden layers, for a fixed number of passes; the test set is always the same 2007 digits.
 * The analysis fits test error = E + A·D^(−β) per width with bootstrap intervals.
 *
 * Three seeds per point, trained together as one pack (one dispatch); the analysis fits the
 * median over seeds, so one odd batch-size-1 SGD run cannot bend a curve.
 *
 * `deno task sweep lecun1989-scaling --preset cpu` (D = 500 … 15000, widths 0.5–1.5, 23
 * passes; width 2 needs more workgroup memory than lavapipe's 32 KiB) or `--preset gpu`
 * (D = 500 … 60000, widths 0.5–4, 10/23/50 passes).
 *
 * @module
 */
import { type LecunConfig, lecunConfig } from "../lib/lecun/config.ts";
import { lecunPack, runLecunTrial } from "../lib/lecun/trial.ts";
import { defineSweep } from "../lib/sweep/define.ts";
import type { Config } from "../lib/sweep/json.ts";
import { analyzeLecunScaling } from "../lib/analysis/lecun_scaling.ts";

/** The 1989 recipe at a trial's size, width, passes and seed. */
function recipeOf(config: Config): LecunConfig {
  return lecunConfig("baseline", {
    trainSize: config.train_size as number,
    width: config.width as number,
    passes: config.passes as number,
    seed: config.seed as number,
  });
}

export const sweep = defineSweep({
  name: "lecun1989-scaling",
  // 2: the 1989 digits are drawn test split first, as the published reproduction did.
  version: 2,
  axes: {
    train_size: [500, 1000, 2000, 4000, 7291, 15000],
    width: [0.5, 1, 1.5],
    passes: [23],
    seed: [1337, 1338, 1339],
  },
  presets: {
    cpu: {
      train_size: [500, 1000, 2000, 4000, 7291, 15000],
      width: [0.5, 1, 1.5],
      passes: [23],
    },
    gpu: {
      train_size: [500, 1000, 2000, 4000, 7291, 15000, 30000, 60000],
      width: [0.5, 1, 2, 4],
      passes: [10, 23, 50],
    },
    // 12 short trials (a few seconds each on lavapipe) for the Slurm test (deno task test:slurm):
    // each its own training-set size, so no two pack together and a task cancelled midway has
    // finished some of its trials and not others.
    slurm: {
      train_size: [100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210],
      width: [1],
      passes: [2],
      seed: [1337],
    },
  },
  objective: { metric: "test_error", goal: "min" },
  divergeOn: ["train_loss"],
  // The seeds of a point share the fused kernel, data and passes: they train as one dispatch.
  pack: lecunPack(recipeOf),
  run: (config, ctx) => runLecunTrial(recipeOf(config), ctx),
});

/** Fits and plots a finished sweep: `fits.json`, `error-vs-d.{svg,png}`, `error-vs-pass.{svg,png}`. */
export const analyze = analyzeLecunScaling;
