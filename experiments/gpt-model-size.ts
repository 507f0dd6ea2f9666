/**
 * Kaplan et al.'s L(N): byte-level GPTs of growing size (non-embedding N over ≥ 1.5 decades)
 * trained on the State of the Union corpus for a fixed number of steps, each step on fresh
 * windows (far fewer tokens than the corpus holds: no data limit). The analysis fits
 * L(N) = (N_c/N)^α_N to the final held-out loss with bootstrap intervals and plots it.
 *
 * `deno task sweep gpt-model-size --preset cpu` (6 models, lavapipe-sized) or `--preset gpu`.
 *
 * @module
 */
import { defineSweep } from "../lib/sweep/define.ts";
import { analyzeModelSize } from "../lib/analysis/model_size.ts";
import { defaultGptLr, gptModels, gptPack, runGptTrial } from "../lib/train/gpt_trial.ts";

/** Models with heads of about 16; N = 0.9K … 39.5K (1.65 decades). */
const CPU_MODELS = gptModels([[1, 8], [1, 16], [1, 24], [1, 32], [2, 32], [2, 40]]);
/** Models with 32-wide heads; N = 100K … 14M (2.15 decades). */
const GPU_MODELS = gptModels([[2, 64], [4, 96], [4, 128], [6, 192], [6, 256], [8, 384]], 32);

export const sweep = defineSweep({
  name: "gpt-model-size",
  version: 1,
  axes: {
    model: CPU_MODELS,
    context: [32],
    batch: [16],
    steps: [1500],
    seed: [0],
  },
  derive: ({ model }) => ({ ...model, lr: defaultGptLr(model.width), evals: 8 }),
  presets: {
    cpu: { model: CPU_MODELS, context: [32], batch: [16], steps: [1500] },
    gpu: { model: GPU_MODELS, context: [256], batch: [64], steps: [5000] },
  },
  pack: gptPack,
  run: (config, ctx) => runGptTrial(config, ctx),
});

/** Fits and plots a finished sweep: `fits.json`, `loss-vs-n.{svg,png}`, `curves.{svg,png}`. */
export const analyze = analyzeModelSize;
