/**
 * Chinchilla's approach 2 (IsoFLOP profiles): at each compute budget C = 6·N·D (N
 * non-embedding parameters), byte-level GPTs of several sizes are trained for D = C/(6N)
 * tokens with the learning rate decaying over exactly that horizon. The analysis fits a
 * parabola of final held-out loss in log N per budget; its minima give N_opt ∝ C^a,
 * D_opt ∝ C^b and the tokens per parameter at the optimum.
 *
 * A budget keeps the sizes that train for `min_steps` to `max_steps` steps (cpu: 180 to 5,000):
 * on lavapipe-sized budgets every
 * model needs a few hundred steps to leave the unigram plateau (≈ 3.0 nats), so the optimum
 * sits where the steps run out, at many tokens per parameter; sizes with fewer steps would only
 * add points stuck on the plateau.
 *
 * `deno task sweep gpt-isoflop --preset cpu` or `--preset gpu`.
 *
 * @module
 */
import { defineSweep } from "../lib/sweep/define.ts";
import { analyzeIsoFlop } from "../lib/analysis/isoflop.ts";
import {
  defaultGptLr,
  gptModels,
  gptPack,
  nonEmbeddingParams,
  runGptTrial,
} from "../lib/train/gpt_trial.ts";

/** N = 0.25K … 40K, about ×2 apart. */
const CPU_MODELS = gptModels([
  [1, 4],
  [1, 6],
  [1, 8],
  [1, 12],
  [1, 16],
  [1, 24],
  [1, 32],
  [2, 32],
  [2, 40],
]);

/** N = 0.22M … 14M, about ×1.5 apart. */
const GPU_MODELS = gptModels(
  [[2, 96], [2, 128], [4, 128], [4, 160], [4, 192], [6, 192], [6, 256], [6, 320], [8, 384]],
  32,
);

export const sweep = defineSweep({
  name: "gpt-isoflop",
  version: 1,
  axes: {
    budget: [2e9, 5e9, 1.25e10, 3.2e10],
    model: CPU_MODELS,
    context: [32],
    batch: [16],
    min_steps: [180],
    max_steps: [5000],
    seed: [0],
  },
  derive: ({ budget, model, context, batch }) => {
    const n = nonEmbeddingParams({ ...model, context });
    const tokens = budget / (6 * n);
    return {
      ...model,
      steps: Math.round(tokens / (batch * context)),
      tokens_per_parameter: tokens / n,
      lr: defaultGptLr(model.width),
    };
  },
  filter: ({ steps, min_steps, max_steps }) => steps >= min_steps && steps <= max_steps,
  presets: {
    cpu: {
      budget: [2e9, 5e9, 1.25e10, 3.2e10],
      model: CPU_MODELS,
      context: [32],
      batch: [16],
      min_steps: [180],
      max_steps: [5000],
    },
    gpu: {
      budget: [1e14, 3e14, 1e15, 3e15],
      model: GPU_MODELS,
      context: [256],
      batch: [64],
      min_steps: [300],
      max_steps: [30000],
    },
  },
  pack: gptPack,
  run: (config, ctx) => runGptTrial(config, ctx),
});

/** Approach 2 on a finished sweep: `fits.json`, `isoflop.{svg,png}`, `curves.{svg,png}`. */
export const analyze = analyzeIsoFlop;
