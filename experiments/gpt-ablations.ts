/**
 * Algorithmic changes as compute multipliers (the 1989 ablation idea asked of Transformers):
 * a small byte-level GPT in nanoGPT's recipe (pre-LN, GELU, tied head, learned positions,
 * AdamW with warmup and cosine decay) against four variants that each change one thing, every
 * one trained at three compute budgets with three seeds (cpu: 240, 480 and 960 steps of a
 * 2-layer, 24-wide model, all past the ≈ 3.0-nat unigram plateau that small budgets sit on). The analysis fits loss against
 * compute per variant with the baseline's slope and reports how much compute each variant
 * needs to reach the baseline's loss, with bootstrap intervals over seeds.
 *
 * `deno task sweep gpt-ablations --preset cpu` or `--preset gpu`.
 *
 * @module
 */
import { defineSweep } from "../lib/sweep/define.ts";
import { analyzeAblations } from "../lib/analysis/ablations.ts";
import {
  defaultGptLr,
  gptModels,
  gptPack,
  nonEmbeddingParams,
  runGptTrial,
} from "../lib/train/gpt_trial.ts";

/** What each variant changes relative to the baseline. */
const VARIANTS = {
  baseline: {},
  "post-ln": { norm: "post" },
  relu: { activation: "relu" },
  "untied-head": { tied_head: false },
  "constant-lr": { schedule: "constant" },
} as const;

type Variant = keyof typeof VARIANTS;

export const sweep = defineSweep({
  name: "gpt-ablations",
  version: 1,
  axes: {
    variant: Object.keys(VARIANTS) as Variant[],
    budget: [1.07e10, 2.14e10, 4.27e10],
    model: gptModels([[2, 24]]),
    context: [32],
    batch: [16],
    seed: [0, 1, 2],
  },
  derive: ({ variant, budget, model, context, batch }) => ({
    ...model,
    ...VARIANTS[variant as Variant],
    steps: Math.round(budget / (6 * nonEmbeddingParams({ ...model, context }) * batch * context)),
    lr: defaultGptLr(model.width),
  }),
  presets: {
    cpu: {
      budget: [1.07e10, 2.14e10, 4.27e10],
      model: gptModels([[2, 24]]),
      context: [32],
      batch: [16],
    },
    gpu: {
      budget: [3e15, 1e16, 3e16],
      model: gptModels([[6, 384]], 64),
      context: [256],
      batch: [64],
    },
  },
  pack: gptPack,
  run: (config, ctx) => runGptTrial(config, ctx),
});

/** Compute multipliers of a finished sweep: `fits.json`, `multipliers.*`, `loss-vs-compute.*`. */
export const analyze = (dir: string) => analyzeAblations(dir, "baseline");
