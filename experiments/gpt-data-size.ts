/**
 * Kaplan et al.'s L(D) and the joint N × D grid: byte-level GPTs of three sizes, each trained on
 * training sets of D tokens (drawn from a seeded shuffle of the State of the Union training
 * documents; smaller sets are prefixes of larger ones) for the same number of steps, so small
 * sets are repeated for many epochs; the best held-out loss over the run (early stopping) is the
 * loss at (N, D). The analysis fits L(D) = (D_c/D)^α_D for the largest model and
 * L(N, D) = E + A/N^α + B/D^β over the grid, with bootstrap intervals.
 *
 * `deno task sweep gpt-data-size --preset cpu` or `--preset gpu`.
 *
 * @module
 */
import { defineSweep } from "../lib/sweep/define.ts";
import { analyzeDataSize } from "../lib/analysis/data_size.ts";
import { defaultGptLr, gptModels, gptPack, runGptTrial } from "../lib/train/gpt_trial.ts";

const CPU = {
  model: gptModels([[1, 16], [1, 32], [2, 32]]),
  tokens: [12_500, 25_000, 50_000, 100_000, 200_000],
  context: [32],
  batch: [16],
  steps: [1200],
};

export const sweep = defineSweep({
  name: "gpt-data-size",
  version: 1,
  axes: { ...CPU, seed: [0] },
  derive: ({ model }) => ({ ...model, lr: defaultGptLr(model.width), evals: 12 }),
  presets: {
    cpu: CPU,
    gpu: {
      model: gptModels([[2, 128], [4, 256], [6, 384]], 32),
      tokens: [1e6, 2e6, 4e6, 8e6, 16e6, 32e6],
      context: [256],
      batch: [64],
      steps: [6000],
    },
  },
  pack: gptPack,
  run: (config, ctx) => runGptTrial(config, ctx),
});

/** Fits and plots a finished sweep: `fits.json`, `loss-vs-d.{svg,png}`, `curves.{svg,png}`. */
export const analyze = analyzeDataSize;
