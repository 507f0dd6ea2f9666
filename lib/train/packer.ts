/**
 * Packing for sweeps: trials that the runner starts together (`deno task sweep ... --workers K`)
 * and that share an architecture and recipe, differing only in seed, learning rate or
 * training-set size, are trained as one packed model (`trainGptPacked`); each trial still gets
 * its own history, metrics and trial file. Trials with dropout or SGD always run alone.
 *
 * Whether packing pays depends on the adapter. On a GPU a small model's step is bound by
 * dispatch overhead and idle cores, so P trials cost about one. On a CPU adapter (lavapipe) the
 * same cores run every kernel, and the packed model's per-trial LayerNorm gains and biases add
 * broadcast ops: measured there, packing ran 0.74–0.80× as fast as one by one for 1–2-layer
 * models of width 16–24 at batch 16 × 32 tokens, and 1.66× faster only for a width-8 model at
 * batch 4. So `"auto"` packs on GPUs only.
 *
 * @module
 */
import { isCpuAdapter } from "../../kernels/matmul.ts";
import { acquireGpu } from "../gpu/device.ts";
import type { TrialContext } from "../sweep/define.ts";
import { type GptTrialConfig, runGptTrial, trialMetrics, trialModelConfig } from "./gpt_trial.ts";
import { loadTextData, validationBatches } from "./text_data.ts";
import { trainGptPacked } from "./packed_trainer.ts";

/** When to pack: always (when trials meet), never, or on GPU adapters only. */
export type PackingMode = "always" | "never" | "auto";

/** Options of {@link TrialPacker}. */
export interface TrialPackerOptions {
  /** Most trials per packed model (default 8). */
  maxTrials?: number;
  /** Milliseconds to wait for more compatible trials after one arrives (default 250). */
  gatherMs?: number;
  /** Default `"auto"`. */
  mode?: PackingMode;
}

interface Waiting {
  trial: GptTrialConfig;
  ctx: TrialContext;
  resolve: (metrics: Record<string, number | string>) => void;
  reject: (error: unknown) => void;
}

/** Config fields that may differ between packed trials. */
const FREE_FIELDS = new Set(["seed", "lr", "tokens"]);

/**
 * The packing key of a trial: its config without seed, learning rate and training-set size.
 *
 * @example
 * ```ts
 * packingKey({ ...config, seed: 1 }) === packingKey({ ...config, seed: 2 }); // true
 * ```
 */
export function packingKey(trial: GptTrialConfig): string {
  const entries = Object.entries(trial).filter(([k]) => !FREE_FIELDS.has(k)).sort(([a], [b]) =>
    a < b ? -1 : 1
  );
  return JSON.stringify(entries);
}

/**
 * Gathers compatible trials that arrive together and trains them packed.
 *
 * @example
 * ```ts
 * const packer = new TrialPacker({ mode: "auto" });
 * export const sweep = defineSweep({ ..., run: (config, ctx) => packer.run(config, ctx) });
 * ```
 */
export class TrialPacker {
  readonly #maxTrials: number;
  readonly #gatherMs: number;
  readonly #mode: PackingMode;
  readonly #waiting = new Map<
    string,
    { entries: Waiting[]; timer?: ReturnType<typeof setTimeout> }
  >();

  constructor(options: TrialPackerOptions = {}) {
    this.#maxTrials = options.maxTrials ?? 8;
    this.#gatherMs = options.gatherMs ?? 250;
    this.#mode = options.mode ?? "auto";
  }

  /**
   * Runs one sweep trial, packed with others that arrive within the gathering window.
   *
   * @example
   * ```ts
   * const packer = new TrialPacker();
   * export const sweep = defineSweep({ ..., run: (config, ctx) => packer.run(config, ctx) });
   * ```
   */
  async run(trial: GptTrialConfig, ctx: TrialContext): Promise<Record<string, number | string>> {
    const gpu = await ctx.device.then(() => acquireGpu(), () => acquireGpu());
    const pack = this.#mode === "always" ||
      (this.#mode === "auto" && !isCpuAdapter(gpu.adapterName));
    const packable = (trial.dropout ?? 0) === 0 && (trial.optimizer ?? "adamw") === "adamw";
    if (!pack || !packable) return await runGptTrial(trial, ctx);
    return await new Promise((resolve, reject) => {
      const key = packingKey(trial);
      let group = this.#waiting.get(key);
      if (group) clearTimeout(group.timer);
      else this.#waiting.set(key, group = { entries: [] });
      group.entries.push({ trial, ctx, resolve, reject });
      if (group.entries.length >= this.#maxTrials) this.#launch(key);
      else group.timer = setTimeout(() => this.#launch(key), this.#gatherMs);
    });
  }

  #launch(key: string): void {
    const group = this.#waiting.get(key);
    if (!group) return;
    clearTimeout(group.timer);
    this.#waiting.delete(key);
    const entries = group.entries;
    if (entries.length === 1) {
      const [only] = entries;
      runGptTrial(only.trial, only.ctx).then(only.resolve, only.reject);
      return;
    }
    trainGroup(entries).catch((error) => entries.forEach((e) => e.reject(error)));
  }
}

async function trainGroup(entries: Waiting[]): Promise<void> {
  const first = entries[0].trial;
  const config = trialModelConfig(first);
  const gpu = await acquireGpu();
  const datasets = await Promise.all(entries.map(({ trial }) =>
    loadTextData({
      source: { corpus: trial.corpus ?? "sotu" },
      trainTokens: trial.tokens,
      dataSeed: trial.seed,
    })
  ));
  const evals = first.evals ?? 4;
  const results = await trainGptPacked({
    config,
    trials: entries.map(({ trial, ctx }, k) => ({
      seed: trial.seed,
      lr: trial.lr,
      train: datasets[k].train,
      signal: ctx.signal,
    })),
    validation: validationBatches(datasets[0].validation, {
      context: first.context,
      batch: 32,
      windows: first.eval_windows ?? 128,
    }),
    bytesPerToken: datasets[0].bytesPerToken,
    steps: first.steps,
    batch: first.batch,
    schedule: first.schedule,
    evalInterval: Math.max(1, Math.ceil(first.steps / evals)),
    onLog: (k, point) =>
      entries[k].ctx.report(point.step, {
        train_loss: point.trainLoss,
        ...(point.valLoss !== undefined ? { val_loss: point.valLoss } : {}),
        tokens: point.tokens,
        flops: point.flops,
        lr: point.lr,
      }),
  });
  results.forEach((result, k) => {
    entries[k].resolve({
      ...trialMetrics(result, datasets[k].train.length, gpu.adapterName),
      packed_trials: result.packedTrials,
      packed_tokens_per_second: result.packedTokensPerSecond,
    });
  });
}
