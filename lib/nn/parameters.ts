/**
 * The GPT's parameters: their nanoGPT names and PyTorch shapes (`nn.Linear` weights are
 * [out, in]), their initialization (nanoGPT's: N(0, 0.02) for weights and embeddings,
 * N(0, 0.02/√(2·n_layer)) for the residual projections, zero biases, unit LayerNorm gains), which
 * of them weight decay applies to, and their counts.
 *
 * @module
 */
import { Rng } from "../random/xoshiro.ts";
import { gptParamCounts } from "../scaling/flops.ts";
import { type GptConfig, gptFlopsConfig } from "./config.ts";

/** How a parameter starts. */
export type GptParameterInit = "normal" | "residual" | "zeros" | "ones";

/** One parameter tensor of the model. */
export interface GptParameterSpec {
  /** nanoGPT's state-dict name, e.g. `transformer.h.0.attn.c_attn.weight`. */
  readonly name: string;
  /** PyTorch shape (linear weights [out, in]). */
  readonly shape: readonly number[];
  /** Initialization. */
  readonly init: GptParameterInit;
  /** Weight decay applies (matrices and embeddings, as in nanoGPT; not biases or gains). */
  readonly decay: boolean;
}

/** Standard deviation of nanoGPT's weight initialization. */
export const GPT_INIT_STD = 0.02;

/**
 * The parameters of a config in nanoGPT's state-dict order. A tied head has no `lm_head.weight`
 * of its own (checkpoints still store one, equal to `transformer.wte.weight`); sinusoidal
 * positions have no `transformer.wpe.weight`; without biases no linear or LayerNorm has a bias.
 *
 * @example
 * ```ts
 * gptParameterLayout(config).map((p) => p.name); // ["transformer.wte.weight", "transformer.wpe.weight", ...]
 * ```
 */
export function gptParameterLayout(config: GptConfig): GptParameterSpec[] {
  const c = config.nEmbd;
  const specs: GptParameterSpec[] = [];
  const weight = (name: string, shape: number[], init: GptParameterInit = "normal") =>
    specs.push({ name, shape, init, decay: true });
  const vector = (name: string, size: number, init: "zeros" | "ones") =>
    specs.push({ name, shape: [size], init, decay: false });
  const norm = (prefix: string) => {
    vector(`${prefix}.weight`, c, "ones");
    if (config.bias) vector(`${prefix}.bias`, c, "zeros");
  };
  const linear = (prefix: string, out: number, inner: number, init: GptParameterInit) => {
    weight(`${prefix}.weight`, [out, inner], init);
    if (config.bias) vector(`${prefix}.bias`, out, "zeros");
  };
  weight("transformer.wte.weight", [config.vocabSize, c]);
  if (config.positions === "learned") weight("transformer.wpe.weight", [config.blockSize, c]);
  for (let i = 0; i < config.nLayer; i++) {
    const h = `transformer.h.${i}`;
    norm(`${h}.ln_1`);
    linear(`${h}.attn.c_attn`, 3 * c, c, "normal");
    linear(`${h}.attn.c_proj`, c, c, "residual");
    norm(`${h}.ln_2`);
    linear(`${h}.mlp.c_fc`, 4 * c, c, "normal");
    linear(`${h}.mlp.c_proj`, c, 4 * c, "residual");
  }
  norm("transformer.ln_f");
  if (!config.tiedHead) weight("lm_head.weight", [config.vocabSize, c]);
  return specs;
}

/**
 * Seeded initial values of every parameter, drawn in layout order from one generator: the same
 * config and seed give the same numbers on every machine.
 *
 * @example
 * ```ts
 * const values = gptInitialParameters(config, 0);
 * values.get("transformer.ln_f.weight"); // Float32Array of ones
 * ```
 */
export function gptInitialParameters(config: GptConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const residualStd = GPT_INIT_STD / Math.sqrt(2 * config.nLayer);
  const values = new Map<string, Float32Array>();
  for (const spec of gptParameterLayout(config)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.init === "ones") data.fill(1);
    else if (spec.init !== "zeros") {
      const std = spec.init === "residual" ? residualStd : GPT_INIT_STD;
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    }
    values.set(spec.name, data);
  }
  return values;
}

/** Parameter counts of a config. */
export interface GptCounts {
  /** Every trainable parameter (a tied head counted once). */
  total: number;
  /** Kaplan's N: all but the token and position embeddings and an untied head. */
  nonEmbedding: number;
  /** Token embeddings, learned positions and an untied head. */
  embedding: number;
}

/**
 * Parameter counts from lib/scaling's `gptParamCounts` (sinusoidal positions count no
 * parameters). Equal to the sum over {@link gptParameterLayout}.
 *
 * @example
 * ```ts
 * gptCounts(config).nonEmbedding; // ≈ 12 · nLayer · nEmbd²
 * ```
 */
export function gptCounts(config: GptConfig): GptCounts {
  const { total, nonEmbedding, embedding } = gptParamCounts(gptFlopsConfig(config));
  return { total, nonEmbedding, embedding };
}

/**
 * Fixed sinusoidal position encodings [T, C] (Vaswani et al. 2017): PE[t, 2i] = sin(t / 10000^(2i/C)),
 * PE[t, 2i+1] = cos(t / 10000^(2i/C)).
 *
 * @example
 * ```ts
 * sinusoidalPositions(128, 64).length; // 8192
 * ```
 */
export function sinusoidalPositions(blockSize: number, width: number): Float32Array {
  const table = new Float32Array(blockSize * width);
  for (let t = 0; t < blockSize; t++) {
    for (let i = 0; i < width / 2; i++) {
      const angle = t / 10000 ** ((2 * i) / width);
      table[t * width + 2 * i] = Math.sin(angle);
      table[t * width + 2 * i + 1] = Math.cos(angle);
    }
  }
  return table;
}
