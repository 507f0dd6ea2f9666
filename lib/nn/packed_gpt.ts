/**
 * P GPTs of one architecture trained as one model with a leading trial axis ("packing"): the
 * trials differ only in their initial values (seed), learning rate and data. Every parameter is
 * a [P, ...shape] view into one value slab (gradients into one gradient slab, in the layout of
 * `kernels/packed_adamw.ts`), and every op works on all trials at once: embeddings look up
 * [P·V, C] with trial-offset ids, linears are batched matmuls with per-trial weights,
 * LayerNorm gains are per-trial products, attention runs over P·B sequences. A step costs about
 * as many dispatches as one trial's, which is where packing wins on small models.
 *
 * Trial p computes exactly the function of `Gpt` with trial p's parameters (dropout must be 0).
 *
 * @module
 */
import { add, gelu, mul, relu, scale } from "../../kernels/elementwise.ts";
import { embedding } from "../../kernels/embedding.ts";
import { concat, reshape, slice, transpose } from "../../kernels/layout.ts";
import { layerNorm } from "../../kernels/layernorm.ts";
import { crossEntropy } from "../../kernels/loss.ts";
import { fillInPlace } from "../../kernels/map.ts";
import { matmul } from "../../kernels/matmul.ts";
import { type PackedSlabLayout, packedSlabLayout } from "../../kernels/packed_adamw.ts";
import { noGrad } from "../tensor/autograd.ts";
import { contiguousStrides, keep, type Tensor, tensor, tidy } from "../tensor/tensor.ts";
import type { GptConfig } from "./config.ts";
import {
  gptInitialParameters,
  gptParameterLayout,
  type GptParameterSpec,
  sinusoidalPositions,
} from "./parameters.ts";
import { LAYER_NORM_EPS } from "./reference.ts";
import { packedCausalAttention } from "./self_attention.ts";

/** The loss of one packed step. */
export interface PackedLoss {
  /** Σ over trials of each trial's mean cross-entropy (backward from this). */
  total: Tensor;
  /** Each trial's mean cross-entropy [P] (no graph). */
  perTrial: Tensor;
}

/**
 * P trials of one GPT architecture as one model with a leading trial axis.
 *
 * @example
 * ```ts
 * const packed = PackedGpt.create(config, [0, 1, 2]);
 * packed.zeroGrad();
 * backward(packed.loss(inputs, targets, 16, 32).total); // inputs, targets: Int32Array [3·16·32]
 * ```
 */
export class PackedGpt {
  /** The shared architecture. */
  readonly config: GptConfig;
  /** Number of trials P. */
  readonly trials: number;
  /** Parameter layout of one trial. */
  readonly layout: readonly GptParameterSpec[];
  /** Where the parameters live in the slabs. */
  readonly slab: PackedSlabLayout;
  /** The value slab; parameters are views into it. */
  readonly values: Tensor;
  /** The gradient slab; each parameter's `.grad` is a view into it. */
  readonly grads: Tensor;
  /** Parameters [P, ...shape] by nanoGPT name. */
  readonly params: ReadonlyMap<string, Tensor>;
  readonly #positions: Tensor | null;

  private constructor(
    config: GptConfig,
    perTrial: readonly ReadonlyMap<string, ArrayLike<number>>[],
  ) {
    if (config.dropout !== 0) {
      throw new Error(`PackedGpt: packing needs dropout 0, got ${config.dropout}`);
    }
    this.config = config;
    this.trials = perTrial.length;
    this.layout = gptParameterLayout(config);
    const sizes = this.layout.map((s) => s.shape.reduce((a, b) => a * b, 1));
    this.slab = packedSlabLayout(sizes, this.layout.map((s) => (s.decay ? 1 : 0)), this.trials);
    const host = new Float32Array(this.slab.total);
    this.layout.forEach((spec, k) => {
      perTrial.forEach((values, p) => {
        const data = values.get(spec.name);
        if (!data || data.length !== sizes[k]) {
          throw new Error(
            `PackedGpt: trial ${p} has no values of size ${sizes[k]} for "${spec.name}"`,
          );
        }
        host.set(data, this.slab.offsets[k] + p * sizes[k]);
      });
    });
    this.values = keep(tensor(host, [this.slab.total]));
    this.grads = keep(tensor(new Float32Array(this.slab.total), [this.slab.total]));
    const params = new Map<string, Tensor>();
    this.layout.forEach((spec, k) => {
      const shape = [this.trials, ...spec.shape];
      const strides = contiguousStrides(shape);
      const param = keep(this.values.view(shape, strides, this.slab.offsets[k]));
      param.requiresGrad = true;
      param.grad = keep(this.grads.view(shape, strides, this.slab.offsets[k]));
      params.set(spec.name, param);
    });
    this.params = params;
    this.#positions = config.positions === "sinusoidal"
      ? keep(
        tensor(sinusoidalPositions(config.blockSize, config.nEmbd), [
          config.blockSize,
          config.nEmbd,
        ]),
      )
      : null;
  }

  /**
   * P freshly initialized trials, trial p from `seeds[p]` (the values `Gpt.create` draws).
   *
   * @example
   * ```ts
   * const packed = PackedGpt.create(config, [0, 1, 2]);
   * ```
   */
  static create(config: GptConfig, seeds: readonly number[]): PackedGpt {
    return new PackedGpt(config, seeds.map((seed) => gptInitialParameters(config, seed)));
  }

  /**
   * P trials holding the given parameter values.
   *
   * @example
   * ```ts
   * const packed = PackedGpt.fromValues(config, [valuesA, valuesB]);
   * ```
   */
  static fromValues(
    config: GptConfig,
    perTrial: readonly ReadonlyMap<string, ArrayLike<number>>[],
  ): PackedGpt {
    return new PackedGpt(config, perTrial);
  }

  /** Zeroes every gradient (one dispatch). */
  zeroGrad(): void {
    fillInPlace(this.grads, 0);
  }

  /**
   * Logits [P, B·T, V] for token ids `inputs` (host, [P, B, T] row-major, plain ids).
   *
   * @example
   * ```ts
   * const logits = noGrad(() => packed.logits(ids, 4, 32));
   * ```
   */
  logits(inputs: Int32Array, batch: number, context: number): Tensor {
    const cfg = this.config, pTrials = this.trials, v = cfg.vocabSize, c = cfg.nEmbd;
    if (inputs.length !== pTrials * batch * context) {
      throw new Error(
        `PackedGpt: ${inputs.length} token ids do not fill [${pTrials}, ${batch}, ${context}]`,
      );
    }
    if (context > cfg.blockSize) {
      throw new Error(
        `PackedGpt: context ${context} exceeds the model's blockSize ${cfg.blockSize}`,
      );
    }
    const rows = batch * context;
    const offsetIds = Int32Array.from(inputs, (id, i) => id + Math.floor(i / rows) * v);
    const p = (name: string) => this.params.get(name)!;
    const b = (name: string) => this.params.get(name);
    const perTrial = (t: Tensor) => reshape(t, [pTrials, 1, t.shape[t.rank - 1]]);
    const norm = (x: Tensor, prefix: string) => {
      const y = mul(layerNorm(x, null, null, LAYER_NORM_EPS), perTrial(p(`${prefix}.weight`)));
      const bias = b(`${prefix}.bias`);
      return bias ? add(y, perTrial(bias)) : y;
    };
    const linear = (x: Tensor, prefix: string) => {
      const y = matmul(x, transpose(p(`${prefix}.weight`)));
      const bias = b(`${prefix}.bias`);
      return bias ? add(y, perTrial(bias)) : y;
    };
    const wte = p("transformer.wte.weight");
    const ids = tensor(offsetIds, [pTrials, rows], { dtype: "i32" });
    let x = embedding(reshape(wte, [pTrials * v, c]), ids); // [P, B·T, C]
    const positions = this.#positions
      ? slice(this.#positions, 0, 0, context)
      : reshape(slice(p("transformer.wpe.weight"), 1, 0, context), [pTrials, 1, context, c]);
    x = reshape(add(reshape(x, [pTrials, batch, context, c]), positions), [pTrials, rows, c]);
    for (let i = 0; i < cfg.nLayer; i++) {
      const h = `transformer.h.${i}`;
      const attention = (input: Tensor) => {
        const qkv = reshape(linear(input, `${h}.attn.c_attn`), [pTrials * batch, context, 3 * c]);
        const y = reshape(packedCausalAttention(qkv, cfg.nHead), [pTrials, rows, c]);
        return linear(y, `${h}.attn.c_proj`);
      };
      const mlp = (input: Tensor) => {
        const hidden = linear(input, `${h}.mlp.c_fc`);
        return linear(cfg.activation === "gelu" ? gelu(hidden) : relu(hidden), `${h}.mlp.c_proj`);
      };
      if (cfg.norm === "pre") {
        x = add(x, attention(norm(x, `${h}.ln_1`)));
        x = add(x, mlp(norm(x, `${h}.ln_2`)));
      } else {
        x = norm(add(x, attention(x)), `${h}.ln_1`);
        x = norm(add(x, mlp(x)), `${h}.ln_2`);
      }
    }
    x = norm(x, "transformer.ln_f");
    return matmul(x, transpose(cfg.tiedHead ? wte : p("lm_head.weight")));
  }

  /**
   * The packed loss: backward from `total` gives each trial exactly the gradient of its own mean
   * cross-entropy. Intermediates are freed; the graph is kept.
   *
   * @example
   * ```ts
   * packed.zeroGrad();
   * const { total, perTrial } = packed.loss(inputs, targets, 16, 32);
   * backward(total);
   * ```
   */
  loss(inputs: Int32Array, targets: Int32Array, batch: number, context: number): PackedLoss {
    return tidy(() => {
      const pTrials = this.trials, rows = batch * context;
      const logits = this.logits(inputs, batch, context);
      const t = tensor(targets, [pTrials, rows], { dtype: "i32" });
      const total = scale(crossEntropy(logits, t), pTrials);
      const perTrial = noGrad(() =>
        concat(
          Array.from({ length: pTrials }, (_, k) =>
            reshape(crossEntropy(slice(logits, 0, k, k + 1), slice(t, 0, k, k + 1)), [1])),
          0,
        )
      );
      return { total, perTrial };
    });
  }

  /**
   * One trial's parameter values, by name (e.g. to save it as a checkpoint).
   *
   * @example
   * ```ts
   * await writeGptCheckpoint(path, { config, params: await packed.trialValues(1), metadata: {} });
   * ```
   */
  async trialValues(trial: number): Promise<Map<string, Float32Array>> {
    if (!Number.isInteger(trial) || trial < 0 || trial >= this.trials) {
      throw new Error(`PackedGpt: trial ${trial} is out of range 0..${this.trials - 1}`);
    }
    const all = (await this.values.toArray()) as Float32Array;
    const out = new Map<string, Float32Array>();
    this.layout.forEach((spec, k) => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const start = this.slab.offsets[k] + trial * n;
      out.set(spec.name, all.slice(start, start + n));
    });
    return out;
  }

  /** Frees the slabs. */
  dispose(): void {
    for (const t of this.params.values()) {
      t.grad?.dispose();
      t.grad = null;
      t.dispose();
    }
    this.values.dispose();
    this.grads.dispose();
    this.#positions?.dispose();
  }
}
