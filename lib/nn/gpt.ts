/**
 * The GPT on WebGPU, nanoGPT's `model.py` in this project's kernels: token (+ position)
 * embeddings, `nLayer` blocks of causal self-attention and a 4·C-wide MLP with LayerNorms
 * (pre-LN by default), a final LayerNorm, and a linear head (tied to the token embedding by
 * default). Every architecture switch of {@link GptConfig} is a branch here. Dropout (training
 * only) sits where nanoGPT puts it on the embeddings and after each residual branch; nanoGPT's
 * dropout on the attention probabilities is not applied (the fused attention kernel has none).
 *
 * @module
 */
import { LAYER_NORM_EPS } from "../../kernels/layernorm.ts";
import { causalSelfAttention } from "../ops/attention.ts";
import { dropout } from "../ops/dropout.ts";
import { add, gelu, relu } from "../ops/elementwise.ts";
import { embedding } from "../ops/embedding.ts";
import { slice } from "../ops/layout.ts";
import { layerNorm } from "../ops/layernorm.ts";
import { crossEntropy } from "../ops/loss.ts";
import { linear } from "../ops/matmul.ts";
import { keep, type Tensor, tensor, tidy } from "../tensor/tensor.ts";
import type { GptConfig } from "./config.ts";
import {
  gptInitialParameters,
  gptParameterLayout,
  type GptParameterSpec,
  sinusoidalPositions,
} from "./parameters.ts";

/** How a forward pass runs. */
export interface ForwardOptions {
  /** Training mode: dropout is applied (default false: evaluation, dropout is the identity). */
  training?: boolean;
  /** Seed of the dropout masks (each dropout site derives its own from it). */
  dropoutSeed?: number;
  /** Training step, so every step draws fresh dropout masks. */
  step?: number;
}

/**
 * A GPT's parameters on the GPU, and its forward pass with autograd.
 *
 * @example
 * ```ts
 * await acquireGpu();
 * const model = Gpt.create(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 32, vocabSize: 256 }), 0);
 * const loss = model.loss(inputs, targets); // i32 [B, T] each
 * backward(loss);
 * ```
 */
export class Gpt {
  /** The architecture. */
  readonly config: GptConfig;
  /** Parameters by nanoGPT name, in layout order (leaves with `requiresGrad`). */
  readonly params: ReadonlyMap<string, Tensor>;
  /** The layout: names, shapes, init and decay of every parameter. */
  readonly layout: readonly GptParameterSpec[];
  readonly #positions: Tensor | null;

  private constructor(config: GptConfig, values: ReadonlyMap<string, ArrayLike<number>>) {
    this.config = config;
    this.layout = gptParameterLayout(config);
    const params = new Map<string, Tensor>();
    for (const spec of this.layout) {
      const data = values.get(spec.name);
      if (!data) throw new Error(`Gpt: no values for parameter "${spec.name}"`);
      params.set(spec.name, keep(tensor(data, spec.shape, { requiresGrad: true })));
    }
    this.params = params;
    this.#positions = config.positions === "sinusoidal"
      ? keep(tensor(sinusoidalPositions(config.blockSize, config.nEmbd), [
        config.blockSize,
        config.nEmbd,
      ]))
      : null;
  }

  /**
   * A freshly initialized model (nanoGPT's initialization, seeded).
   *
   * @example
   * ```ts
   * await acquireGpu();
   * const model = Gpt.create(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 }), 0);
   * ```
   */
  static create(config: GptConfig, seed: number): Gpt {
    return new Gpt(config, gptInitialParameters(config, seed));
  }

  /**
   * A model holding the given parameter values (e.g. from a checkpoint).
   *
   * @example
   * ```ts
   * const { config, params } = await readGptCheckpoint(path);
   * const model = Gpt.fromValues(config, params);
   * ```
   */
  static fromValues(config: GptConfig, values: ReadonlyMap<string, ArrayLike<number>>): Gpt {
    return new Gpt(config, values);
  }

  /** The parameter tensors in layout order. */
  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /**
   * Parameters split as nanoGPT's optimizer groups: matrices and embeddings get weight decay,
   * biases and LayerNorm gains do not.
   *
   * @example
   * ```ts
   * const { decay, noDecay } = model.decayGroups();
   * ```
   */
  decayGroups(): { decay: Tensor[]; noDecay: Tensor[] } {
    const decay: Tensor[] = [], noDecay: Tensor[] = [];
    for (const spec of this.layout) {
      (spec.decay ? decay : noDecay).push(this.params.get(spec.name)!);
    }
    return { decay, noDecay };
  }

  /**
   * Logits [B, T, V] for token ids [B, T] (i32), T ≤ blockSize.
   *
   * @example
   * ```ts
   * const logits = noGrad(() => model.logits(tensor(ids, [1, ids.length], { dtype: "i32" })));
   * ```
   */
  logits(inputs: Tensor, options: ForwardOptions = {}): Tensor {
    const cfg = this.config;
    if (inputs.rank !== 2 || inputs.dtype !== "i32") {
      throw new Error(`Gpt: inputs must be i32 token ids [B, T], got ${inputs}`);
    }
    const context = inputs.shape[1];
    if (context > cfg.blockSize) {
      throw new Error(`Gpt: context ${context} exceeds the model's blockSize ${cfg.blockSize}`);
    }
    const p = (name: string) => this.params.get(name)!;
    const b = (name: string) => this.params.get(name);
    const training = options.training ?? false;
    const drop = (x: Tensor, site: number) =>
      cfg.dropout > 0 && training
        ? dropout(x, cfg.dropout, siteSeed(options.dropoutSeed ?? 0, site), options.step ?? 0)
        : x;
    const norm = (x: Tensor, prefix: string) =>
      layerNorm(x, p(`${prefix}.weight`), b(`${prefix}.bias`), LAYER_NORM_EPS);
    const h = cfg.nHead;

    const positions = this.#positions ?? p("transformer.wpe.weight");
    let x = add(embedding(p("transformer.wte.weight"), inputs), slice(positions, 0, 0, context));
    x = drop(x, 0);
    for (let i = 0; i < cfg.nLayer; i++) {
      const prefix = `transformer.h.${i}`;
      const attention = (input: Tensor) => {
        const qkv = linear(
          input,
          p(`${prefix}.attn.c_attn.weight`),
          b(`${prefix}.attn.c_attn.bias`),
        );
        const merged = causalSelfAttention(qkv, h);
        return drop(
          linear(merged, p(`${prefix}.attn.c_proj.weight`), b(`${prefix}.attn.c_proj.bias`)),
          1 + 2 * i,
        );
      };
      const mlp = (input: Tensor) => {
        const hidden = linear(input, p(`${prefix}.mlp.c_fc.weight`), b(`${prefix}.mlp.c_fc.bias`));
        const act = cfg.activation === "gelu" ? gelu(hidden) : relu(hidden);
        return drop(
          linear(act, p(`${prefix}.mlp.c_proj.weight`), b(`${prefix}.mlp.c_proj.bias`)),
          2 + 2 * i,
        );
      };
      if (cfg.norm === "pre") {
        x = add(x, attention(norm(x, `${prefix}.ln_1`)));
        x = add(x, mlp(norm(x, `${prefix}.ln_2`)));
      } else {
        x = norm(add(x, attention(x)), `${prefix}.ln_1`);
        x = norm(add(x, mlp(x)), `${prefix}.ln_2`);
      }
    }
    x = norm(x, "transformer.ln_f");
    return linear(x, p(cfg.tiedHead ? "transformer.wte.weight" : "lm_head.weight"));
  }

  /**
   * Mean cross-entropy (nats per token) of predicting `targets` [B, T] from `inputs` [B, T].
   * Intermediate tensors are freed; the graph needed for `backward` is kept.
   *
   * @example
   * ```ts
   * const loss = model.loss(inputs, targets, { training: true, step });
   * backward(loss);
   * ```
   */
  loss(inputs: Tensor, targets: Tensor, options: ForwardOptions = {}): Tensor {
    return tidy(() => crossEntropy(this.logits(inputs, options), targets));
  }

  /**
   * Copies every parameter to the host, by name.
   *
   * @example
   * ```ts
   * await writeGptCheckpoint(path, { config: model.config, params: await model.values(), metadata: {} });
   * ```
   */
  async values(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.params) out.set(name, (await t.toArray()) as Float32Array);
    return out;
  }

  /** Frees the parameters and their gradients. */
  dispose(): void {
    for (const t of this.params.values()) {
      t.grad?.dispose();
      t.grad = null;
      t.dispose();
    }
    this.#positions?.dispose();
  }
}

/** A distinct dropout seed per site, derived from the run's seed. */
function siteSeed(seed: number, site: number): number {
  return (seed ^ Math.imul(site + 1, 0x9e3779b9)) >>> 0;
}
