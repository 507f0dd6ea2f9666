/**
 * The GPT on WebGPU — nanoGPT's `model.py` — with a runs axis: R models of one architecture
 * trained as one, each run with its own parameters (every trainable tensor is [R, ...shape] in
 * one slab), inputs, targets and dropout masks. R = 1 is the ordinary model.
 *
 * Forward and backward are written out layer by layer, llm.c style, over activations kept in a
 * workspace per batch shape, each matmul with what surrounds it fused into the kernel: the bias
 * and the residual add (or the GELU/ReLU, keeping the pre-activation) as epilogues, the
 * activation's gradient in the epilogue of the product that meets it, every bias gradient as
 * the row sums of its weight-gradient product, gradients accumulated in place (into the slab,
 * into the residual stream's gradient), q/k/v read by attention straight from the stacked
 * projection, the loss gradient written by the cross-entropy kernel over the logits. A step of
 * the default architecture records 11 + 21·L dispatches whatever R is (see
 * {@link gptStepDispatches}).
 *
 * Architecture switches of {@link GptConfig}: pre- or post-LN, GELU or ReLU, tied or untied
 * head, learned or sinusoidal positions, biases on or off, dropout (per run; nanoGPT's sites on
 * the embeddings and after each residual branch; not on the attention probabilities).
 *
 * @module
 */
import { applyDropout, type RunDropout } from "../../kernels/dropout.ts";
import { embeddingBackward, embeddingForward } from "../../kernels/embedding.ts";
import {
  LAYER_NORM_EPS,
  layerNormBackwardPlan,
  layerNormForward,
  layerNormInputGrad,
  layerNormParamGrads,
} from "../../kernels/layernorm.ts";
import { crossEntropyRows } from "../../kernels/loss.ts";
import { gemm, matrixOf } from "../../kernels/matmul.ts";
import type { GemmEpilogue } from "../../kernels/matmul_wgsl.ts";
import {
  attentionBackward,
  type AttentionDims,
  attentionForward,
} from "../../kernels/attention.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { ParameterSlab } from "../optim/slab.ts";
import { contiguousStrides, empty, keep, type Tensor, tensor } from "../tensor/tensor.ts";
import type { GptConfig } from "./config.ts";
import {
  gptInitialParameters,
  gptParameterLayout,
  type GptParameterSpec,
  sinusoidalPositions,
} from "./parameters.ts";

/** How one forward pass runs. */
export interface ForwardOptions {
  /** Training: dropout applies and the loss gradient is written for {@link Gpt.backward}. */
  training: boolean;
  /** Training step (dropout masks are fresh every step). */
  step?: number;
  /** Per run: dropout probability and the seed its masks derive from (default: none). */
  dropout?: readonly RunDropout[];
  /** Per-row losses go here from element `lossOffset` on: [R·B·T] values, run-major. */
  losses: Tensor;
  lossOffset: number;
}

/**
 * Dispatches one training step records (forward, backward and the optimizer's two) for a
 * config without dropout: 11 + 21 per layer for the default architecture.
 *
 * @example
 * ```ts
 * gptStepDispatches(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 32, vocabSize: 256 })); // 53
 * ```
 */
export function gptStepDispatches(config: GptConfig): number {
  // Forward: embedding; per layer 2 LayerNorms, 4 products (q/k/v, attention output, fc, MLP
  // output) and attention; LN_f, head, loss. Backward: head (dX, dW), LN_f (dx, gains); per
  // layer 2 per product, 2 for attention, 2 per LayerNorm; embedding. Optimizer: norms, update.
  const forward = 1 + 7 * config.nLayer + 3;
  const backward = 2 + 2 + 14 * config.nLayer + 1;
  return forward + backward + 2;
}

/** A site's dropout seed, derived from the run's seed (each site draws its own masks). */
function siteSeed(seed: number, site: number): number {
  return (seed ^ Math.imul(site + 1, 0x9e3779b9)) >>> 0;
}

/** The activations of one block, for one batch shape. */
interface BlockActivations {
  /** LayerNorm outputs and stats (pre-LN: ln1 feeds attention, ln2 the MLP). */
  ln1: Tensor;
  stats1: Tensor;
  ln2: Tensor;
  stats2: Tensor;
  /** Stacked q/k/v projection [rows, 3C], attention output [rows, C] and logsumexp. */
  qkv: Tensor;
  att: Tensor;
  lse: Tensor;
  /** The residual stream after attention (pre-LN), or the pre-norm sum (post-LN). */
  mid: Tensor;
  /** The block output (pre-LN), or the second pre-norm sum (post-LN). */
  out: Tensor;
  /** MLP pre-activation and activation [rows, 4C]. */
  z: Tensor;
  h: Tensor;
  /** [R·B, H, T, D] views of q, k, v (in `qkv`) and of the attention output (in `att`). */
  heads: { q: Tensor; k: Tensor; v: Tensor; o: Tensor };
}

/** Everything one batch shape's forward and backward read and write. */
interface Workspace {
  batch: number;
  context: number;
  rows: number;
  ids: Tensor;
  targets: Tensor;
  /** Embedding output (the residual stream's start). */
  x0: Tensor;
  blocks: BlockActivations[];
  lnf: Tensor;
  statsf: Tensor;
  /** Logits [rows, V]; after a training forward, the loss gradient with respect to them. */
  logits: Tensor;
  /** Gradients: the residual stream, a LayerNorm output, q/k/v, attention output, MLP hidden. */
  gx: Tensor;
  ga: Tensor;
  gln: Tensor;
  gqkv: Tensor;
  gatt: Tensor;
  gh: Tensor;
  /** A branch output before dropout (forward) and its masked gradient (backward). */
  branch: Tensor;
  /** [R·B, H, T, D] views of the q/k/v gradients (in `gqkv`) and the output's (in `gatt`). */
  gradHeads: { dq: Tensor; dk: Tensor; dv: Tensor; g: Tensor };
  /** Attention sizes. */
  dims: AttentionDims;
  /** The options of the last forward, for backward. */
  last?: ForwardOptions;
}

/**
 * R GPTs of one architecture, their parameters in one slab.
 *
 * @example
 * ```ts
 * await acquireGpu();
 * const model = Gpt.create(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 32, vocabSize: 256 }), [0, 1, 2]);
 * model.forward(ids, targets, { batch: 16, context: 32 }, { training: true, losses, lossOffset: 0 });
 * model.backward();
 * ```
 */
export class Gpt {
  /** The architecture. */
  readonly config: GptConfig;
  /** Runs R. */
  readonly runs: number;
  /** The layout of one run's parameters. */
  readonly layout: readonly GptParameterSpec[];
  /** The parameters ([R, ...shape] views) and their gradients. */
  readonly slab: ParameterSlab;
  readonly #sinusoidal: Tensor | null;
  readonly #workspaces = new Map<string, Workspace>();

  private constructor(
    config: GptConfig,
    values: readonly ReadonlyMap<string, ArrayLike<number>>[],
  ) {
    this.config = config;
    this.runs = values.length;
    this.layout = gptParameterLayout(config);
    this.slab = ParameterSlab.create(this.layout, this.runs, (spec, run) => {
      const data = values[run].get(spec.name);
      if (!data) throw new Error(`Gpt: run ${run} has no values for parameter "${spec.name}"`);
      return data;
    });
    this.#sinusoidal = config.positions === "sinusoidal"
      ? keep(tensor(sinusoidalPositions(config.blockSize, config.nEmbd), [
        config.blockSize,
        config.nEmbd,
      ]))
      : null;
  }

  /**
   * Freshly initialized runs (nanoGPT's initialization), run r from `seeds[r]`; one seed for
   * a single run.
   *
   * @example
   * ```ts
   * const model = Gpt.create(config, [0, 1, 2, 3]); // 4 runs
   * ```
   */
  static create(config: GptConfig, seeds: number | readonly number[]): Gpt {
    const list = typeof seeds === "number" ? [seeds] : seeds;
    if (list.length === 0) throw new Error("Gpt: needs at least one run");
    return new Gpt(config, list.map((seed) => gptInitialParameters(config, seed)));
  }

  /**
   * Runs holding the given parameter values (e.g. from a checkpoint); one map for one run.
   *
   * @example
   * ```ts
   * const { config, params } = await readGptCheckpoint(path);
   * const model = Gpt.fromValues(config, params);
   * ```
   */
  static fromValues(
    config: GptConfig,
    values:
      | ReadonlyMap<string, ArrayLike<number>>
      | readonly ReadonlyMap<string, ArrayLike<number>>[],
  ): Gpt {
    return new Gpt(
      config,
      Array.isArray(values) ? values : [values as ReadonlyMap<string, ArrayLike<number>>],
    );
  }

  /** The GPU the model lives on. */
  get gpu(): Gpu {
    return this.slab.gpu;
  }

  /** Parameter `name` of every run, [R, ...shape]. */
  param(name: string): Tensor {
    return this.slab.param(name);
  }

  /**
   * Copies every parameter of run `run` to the host, by name.
   *
   * @example
   * ```ts
   * await writeGptCheckpoint(path, { config: model.config, params: await model.values(0), metadata: {} });
   * ```
   */
  values(run = 0): Promise<Map<string, Float32Array>> {
    return this.slab.readRun(run);
  }

  /**
   * Records the forward pass of every run on its windows: `ids` and `targets` hold R·B·T token
   * ids (run-major, then window, then position); per-row losses go to `options.losses`. In
   * training, the logits are then replaced by the gradient of Σ_runs mean loss, for
   * {@link Gpt.backward}.
   *
   * @example
   * ```ts
   * model.forward(ids, targets, { batch: 16, context: 32 }, { training: false, losses, lossOffset: 0 });
   * ```
   */
  forward(
    ids: Int32Array,
    targets: Int32Array,
    shape: { batch: number; context: number },
    options: ForwardOptions,
  ): void {
    const ws = this.#workspace(shape.batch, shape.context);
    const count = this.runs * ws.rows;
    if (ids.length !== count || targets.length !== count) {
      throw new Error(
        `Gpt: expected ${count} ids and targets (${this.runs} runs × ${shape.batch} × ` +
          `${shape.context}), got ${ids.length} and ${targets.length}`,
      );
    }
    const gpu = this.gpu;
    gpu.write(ws.ids.buffer, ids);
    gpu.write(ws.targets.buffer, targets);
    ws.last = options;
    const cfg = this.config;
    const drop = this.#dropout(options);
    embeddingForward(
      {
        weight: this.param("transformer.wte.weight"),
        positions: this.#sinusoidal ??
          this.#maybe("transformer.wpe.weight", cfg.positions === "learned") ?? undefined,
        context: ws.context,
        rowsPerRun: ws.rows,
      },
      ws.ids,
      drop ? ws.branch : ws.x0,
    );
    if (drop) {
      applyDropout(ws.branch, this.#siteDropout(drop, 0), options.step ?? 0, { into: ws.x0 });
    }
    ws.blocks.forEach((block, i) => {
      const input = i > 0 ? this.#blockOutput(ws.blocks[i - 1]) : ws.x0;
      if (cfg.norm === "pre") this.#preBlock(ws, block, i, input, drop, options);
      else this.#postBlock(ws, block, i, input, drop, options);
    });
    this.#norm(this.#streamEnd(ws), "transformer.ln_f", ws.lnf, ws.statsf, ws);
    this.#linear(ws.lnf, this.#headName(), null, ws.logits, "store");
    crossEntropyRows(
      ws.logits,
      ws.targets,
      options.losses,
      options.lossOffset,
      options.training ? 1 / ws.rows : undefined,
    );
  }

  /**
   * Records the backward pass of the last training {@link Gpt.forward}: every parameter's
   * gradient is added into the slab's gradient views.
   *
   * @example
   * ```ts
   * model.backward();
   * optimizer.step();
   * ```
   */
  backward(shape: { batch: number; context: number }): void {
    const ws = this.#workspace(shape.batch, shape.context);
    const options = ws.last;
    if (!options?.training) {
      throw new Error("Gpt: backward() needs a training forward() of the same batch shape first");
    }
    const cfg = this.config;
    const drop = this.#dropout(options);
    // Head: the logits hold dLoss/dlogits.
    this.#linearGrads(ws.logits, ws.lnf, this.#headName(), null, null, ws.gln);
    this.#normGrads(ws.gln, this.#streamEnd(ws), ws.statsf, "transformer.ln_f", ws.gx, false, ws);
    for (let i = ws.blocks.length - 1; i >= 0; i--) {
      const block = ws.blocks[i];
      const input = i > 0 ? this.#blockOutput(ws.blocks[i - 1]) : ws.x0;
      if (cfg.norm === "pre") this.#preBlockGrads(ws, block, i, input, drop, options);
      else this.#postBlockGrads(ws, block, i, input, drop, options);
    }
    const g = this.#branchGrad(ws, ws.gx, drop, 0, options);
    const positions = this.#maybe("transformer.wpe.weight", cfg.positions === "learned");
    embeddingBackward(g, ws.ids, cfg.vocabSize, cfg.nEmbd, {
      rowsPerRun: ws.rows,
      dw: this.param("transformer.wte.weight").grad!,
      ...(positions ? { context: ws.context, dpos: positions.grad! } : {}),
    });
  }

  /** Frees the parameters, gradients and workspaces. */
  dispose(): void {
    for (const ws of this.#workspaces.values()) disposeWorkspace(ws);
    this.#workspaces.clear();
    this.slab.dispose();
    this.#sinusoidal?.dispose();
  }

  // -------------------------------------------------------------------------------------------
  // Blocks, forward and backward side by side.

  /** Pre-LN block: mid = x + attn(LN(x)), out = mid + mlp(LN(mid)). */
  #preBlock(
    ws: Workspace,
    b: BlockActivations,
    i: number,
    x: Tensor,
    drop: readonly RunDropout[] | null,
    options: ForwardOptions,
  ): void {
    const h = `transformer.h.${i}`;
    this.#norm(x, `${h}.ln_1`, b.ln1, b.stats1, ws);
    this.#attention(ws, b, b.ln1, h);
    this.#residual(ws, b.att, `${h}.attn.c_proj`, x, b.mid, drop, 1 + 2 * i, options);
    this.#norm(b.mid, `${h}.ln_2`, b.ln2, b.stats2, ws);
    this.#mlpHidden(b, b.ln2, h);
    this.#residual(ws, b.h, `${h}.mlp.c_proj`, b.mid, b.out, drop, 2 + 2 * i, options);
  }

  /** Backward of {@link Gpt.#preBlock}: `ws.gx` holds dLoss/dout and leaves with dLoss/dx. */
  #preBlockGrads(
    ws: Workspace,
    b: BlockActivations,
    i: number,
    x: Tensor,
    drop: readonly RunDropout[] | null,
    options: ForwardOptions,
  ): void {
    const h = `transformer.h.${i}`;
    // out = mid + proj(act(fc(LN(mid)))): the residual passes gx on; the branch adds to it.
    const g2 = this.#branchGrad(ws, ws.gx, drop, 2 + 2 * i, options);
    this.#linearGrads(g2, b.h, `${h}.mlp.c_proj`, b.z, this.#activationGrad(), ws.gh);
    this.#linearGrads(ws.gh, b.ln2, `${h}.mlp.c_fc`, null, null, ws.gln);
    this.#normGrads(ws.gln, b.mid, b.stats2, `${h}.ln_2`, ws.gx, true, ws);
    // mid = x + proj(attn(LN(x))).
    const g1 = this.#branchGrad(ws, ws.gx, drop, 1 + 2 * i, options);
    this.#linearGrads(g1, b.att, `${h}.attn.c_proj`, null, null, ws.gatt);
    this.#attentionGrads(ws, b);
    this.#linearGrads(ws.gqkv, b.ln1, `${h}.attn.c_attn`, null, null, ws.gln);
    this.#normGrads(ws.gln, x, b.stats1, `${h}.ln_1`, ws.gx, true, ws);
  }

  /** Post-LN block: ln1 = LN(mid = x + attn(x)), ln2 = LN(out = ln1 + mlp(ln1)). */
  #postBlock(
    ws: Workspace,
    b: BlockActivations,
    i: number,
    x: Tensor,
    drop: readonly RunDropout[] | null,
    options: ForwardOptions,
  ): void {
    const h = `transformer.h.${i}`;
    this.#attention(ws, b, x, h);
    this.#residual(ws, b.att, `${h}.attn.c_proj`, x, b.mid, drop, 1 + 2 * i, options);
    this.#norm(b.mid, `${h}.ln_1`, b.ln1, b.stats1, ws);
    this.#mlpHidden(b, b.ln1, h);
    this.#residual(ws, b.h, `${h}.mlp.c_proj`, b.ln1, b.out, drop, 2 + 2 * i, options);
    this.#norm(b.out, `${h}.ln_2`, b.ln2, b.stats2, ws);
  }

  /** Backward of {@link Gpt.#postBlock}: `ws.gx` holds dLoss/dln2 and leaves with dLoss/dx. */
  #postBlockGrads(
    ws: Workspace,
    b: BlockActivations,
    i: number,
    x: Tensor,
    drop: readonly RunDropout[] | null,
    options: ForwardOptions,
  ): void {
    const h = `transformer.h.${i}`;
    this.#normGrads(ws.gx, b.out, b.stats2, `${h}.ln_2`, ws.ga, false, ws);
    const g2 = this.#branchGrad(ws, ws.ga, drop, 2 + 2 * i, options);
    this.#linearGrads(g2, b.h, `${h}.mlp.c_proj`, b.z, this.#activationGrad(), ws.gh);
    // dLoss/dln1 = ga (the residual) + gh @ Wfc.
    this.#linearGrads(ws.gh, b.ln1, `${h}.mlp.c_fc`, ws.ga, "residual", ws.gx);
    this.#normGrads(ws.gx, b.mid, b.stats1, `${h}.ln_1`, ws.ga, false, ws);
    const g1 = this.#branchGrad(ws, ws.ga, drop, 1 + 2 * i, options);
    this.#linearGrads(g1, b.att, `${h}.attn.c_proj`, null, null, ws.gatt);
    this.#attentionGrads(ws, b);
    // dLoss/dx = ga (the residual) + gqkv @ Wqkv.
    this.#linearGrads(ws.gqkv, x, `${h}.attn.c_attn`, ws.ga, "residual", ws.gx);
  }

  /** The residual stream a block hands on. */
  #blockOutput(b: BlockActivations): Tensor {
    return this.config.norm === "pre" ? b.out : b.ln2;
  }

  /** The residual stream after the last block (the input of LN_f). */
  #streamEnd(ws: Workspace): Tensor {
    const last = ws.blocks[ws.blocks.length - 1];
    return last ? this.#blockOutput(last) : ws.x0;
  }

  // -------------------------------------------------------------------------------------------
  // Layers.

  /** LayerNorm of `x` into `y` with each run's gain (and bias). */
  #norm(x: Tensor, prefix: string, y: Tensor, stats: Tensor, ws: Workspace): void {
    layerNormForward(
      x,
      this.param(`${prefix}.weight`),
      this.#maybe(`${prefix}.bias`),
      LAYER_NORM_EPS,
      { rowsPerRun: ws.rows, y, stats },
    );
  }

  /**
   * LayerNorm backward: dx into `dx` (added to it with `accumulate`: the residual stream),
   * the gain's and bias's gradients added into the slab.
   */
  #normGrads(
    g: Tensor,
    x: Tensor,
    stats: Tensor,
    prefix: string,
    dx: Tensor,
    accumulate: boolean,
    ws: Workspace,
  ): void {
    const w = this.param(`${prefix}.weight`);
    const bias = this.#maybe(`${prefix}.bias`);
    const plan = layerNormBackwardPlan(g, x, w, dx);
    layerNormInputGrad(plan, g, x, stats, w, { rowsPerRun: ws.rows, into: dx, accumulate });
    layerNormParamGrads(
      plan.width,
      this.runs * ws.rows,
      this.config.nEmbd,
      g,
      x,
      stats,
      true,
      bias !== null,
      {
        rowsPerRun: ws.rows,
        dw: w.grad!,
        db: bias?.grad ?? undefined,
        blockRows: ws.rows <= SINGLE_STAGE_ROWS ? ws.rows : undefined,
      },
    );
  }

  /**
   * `out = epilogue(x @ W^T + b, extra)` per run; `name` is a linear layer's prefix (its
   * `.weight` and `.bias`) or the head's weight.
   */
  #linear(
    x: Tensor,
    name: string,
    extra: Tensor | null,
    out: Tensor,
    epilogue: GemmEpilogue,
  ): void {
    const { weight, bias } = this.#linearParams(name);
    gemm({
      a: matrixOf(asRuns(x, this.runs)),
      b: matrixOf(weight, true),
      batch: [this.runs],
      reduced: [false],
      bias: bias ?? undefined,
      biasPerBatch: true,
      epilogue,
      extra: extra ?? undefined,
      into: asRuns(out, this.runs),
    });
  }

  /**
   * Backward of `out = x @ W^T + b` given g = dLoss/dout: dX = g @ W into `dx` through the
   * epilogue `epilogue` with `extra` (the activation's gradient, or a residual), dW += gᵀ x and
   * db += Σ_rows g into the slab.
   */
  #linearGrads(
    g: Tensor,
    x: Tensor,
    name: string,
    extra: Tensor | null,
    epilogue: GemmEpilogue | null,
    dx: Tensor,
  ): void {
    const { weight, bias } = this.#linearParams(name);
    const g3 = asRuns(g, this.runs);
    gemm({
      a: matrixOf(g3),
      b: matrixOf(weight),
      batch: [this.runs],
      reduced: [false],
      epilogue: epilogue ?? "store",
      extra: extra ?? undefined,
      into: asRuns(dx, this.runs),
    });
    gemm({
      a: matrixOf(g3, true),
      b: matrixOf(asRuns(x, this.runs)),
      batch: [this.runs],
      reduced: [false],
      epilogue: "accumulate",
      into: weight.grad!,
      rowSums: bias?.grad ?? undefined,
    });
  }

  /** A linear layer's weight and bias (the head has none), by prefix or weight name. */
  #linearParams(name: string): { weight: Tensor; bias: Tensor | null } {
    if (name === "transformer.wte.weight" || name === "lm_head.weight") {
      return { weight: this.param(name), bias: null };
    }
    return { weight: this.param(`${name}.weight`), bias: this.#maybe(`${name}.bias`) };
  }

  /** qkv = ln @ Wqkv^T + b, then causal attention of q, k, v (read in place) into `att`. */
  #attention(ws: Workspace, b: BlockActivations, ln: Tensor, prefix: string): void {
    this.#linear(ln, `${prefix}.attn.c_attn`, null, b.qkv, "store");
    const { q, k, v, o } = b.heads;
    attentionForward(this.gpu, ws.dims, { q, k, v }, o, b.lse);
  }

  /** Attention backward: dq, dk, dv written straight into `gqkv` from `gatt`. */
  #attentionGrads(ws: Workspace, b: BlockActivations): void {
    const { q, k, v, o } = b.heads;
    const { dq, dk, dv, g } = ws.gradHeads;
    attentionBackward(this.gpu, ws.dims, { q, k, v }, o, b.lse, g, { dq, dk, dv });
  }

  /** h = act(ln @ Wfc^T + b), keeping the pre-activation z. */
  #mlpHidden(b: BlockActivations, ln: Tensor, prefix: string): void {
    this.#linear(ln, `${prefix}.mlp.c_fc`, b.z, b.h, this.config.activation);
  }

  /**
   * `out = res + proj(y)` (+ dropout of the branch): one matmul with the residual epilogue, or
   * with dropout the projection, then the masked residual add.
   */
  #residual(
    ws: Workspace,
    y: Tensor,
    name: string,
    res: Tensor,
    out: Tensor,
    drop: readonly RunDropout[] | null,
    site: number,
    options: ForwardOptions,
  ): void {
    if (!drop) {
      this.#linear(y, name, res, out, "residual");
      return;
    }
    this.#linear(y, name, null, ws.branch, "store");
    applyDropout(ws.branch, this.#siteDropout(drop, site), options.step ?? 0, {
      residual: res,
      into: out,
    });
  }

  /** The gradient reaching a branch through its dropout (itself when there is none). */
  #branchGrad(
    ws: Workspace,
    g: Tensor,
    drop: readonly RunDropout[] | null,
    site: number,
    options: ForwardOptions,
  ): Tensor {
    if (!drop) return g;
    applyDropout(g, this.#siteDropout(drop, site), options.step ?? 0, { into: ws.branch });
    return ws.branch;
  }

  #activationGrad(): GemmEpilogue {
    return this.config.activation === "gelu" ? "geluGrad" : "reluGrad";
  }

  #headName(): string {
    return this.config.tiedHead ? "transformer.wte.weight" : "lm_head.weight";
  }

  /** Parameter `name` when the architecture has it (biases, learned positions), else null. */
  #maybe(name: string, present = this.config.bias): Tensor | null {
    return present ? this.param(name) : null;
  }

  /** The runs' dropout in training, or null when no run drops anything. */
  #dropout(options: ForwardOptions): readonly RunDropout[] | null {
    const drop = options.dropout;
    if (!options.training || !drop || drop.every((d) => d.p === 0)) return null;
    if (drop.length !== this.runs) {
      throw new Error(`Gpt: ${drop.length} dropout settings for ${this.runs} runs`);
    }
    return drop;
  }

  #siteDropout(drop: readonly RunDropout[], site: number): RunDropout[] {
    return drop.map((d) => ({ seed: siteSeed(d.seed, site), p: d.p }));
  }

  #workspace(batch: number, context: number): Workspace {
    const key = `${batch}x${context}`;
    const found = this.#workspaces.get(key);
    if (found) return found;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new Error(`Gpt: batch must be a positive integer, got ${batch}`);
    }
    if (!Number.isInteger(context) || context < 1 || context > this.config.blockSize) {
      throw new Error(
        `Gpt: context ${context} must be an integer from 1 to the model's blockSize ` +
          `${this.config.blockSize}`,
      );
    }
    const ws = createWorkspace(this.gpu, this.config, this.runs, batch, context);
    this.#workspaces.set(key, ws);
    return ws;
  }
}

/** LayerNorm parameter gradients sum a run's rows in one pass up to this many rows. */
const SINGLE_STAGE_ROWS = 4096;

/** Dense [R·rows, ·] views as [R, rows, ·] (the batch of the per-run matmuls), made once. */
const runViews = new WeakMap<Tensor, Tensor>();

function asRuns(t: Tensor, runs: number): Tensor {
  if (t.rank === 3 && t.shape[0] === runs) return t;
  let v = runViews.get(t);
  if (!v || !v.isAlive) {
    const width = t.shape[t.rank - 1];
    const shape = [runs, t.size / width / runs, width];
    v = keep(t.view(shape, contiguousStrides(shape), t.offset));
    runViews.set(t, v);
  }
  return v;
}

function createWorkspace(
  gpu: Gpu,
  config: GptConfig,
  runs: number,
  batch: number,
  context: number,
): Workspace {
  const rows = batch * context, all = runs * rows, sequences = runs * batch;
  const c = config.nEmbd, heads = config.nHead, d = c / heads;
  const f = (...shape: number[]) => keep(empty(shape, "f32", gpu));
  // [R·B, H, T, D] views of column blocks of a [R·B·T, width] tensor.
  const head = (x: Tensor, at: number) => {
    const width = x.shape[1];
    const shape = [sequences, heads, context, d];
    return keep(x.view(shape, [context * width, d, width, 1], x.offset + at));
  };
  const blocks = Array.from({ length: config.nLayer }, (): BlockActivations => {
    const qkv = f(all, 3 * c), att = f(all, c);
    return {
      ln1: f(all, c),
      stats1: f(all, 2),
      ln2: f(all, c),
      stats2: f(all, 2),
      qkv,
      att,
      lse: f(sequences, heads, context),
      mid: f(all, c),
      out: f(all, c),
      z: f(all, 4 * c),
      h: f(all, 4 * c),
      heads: { q: head(qkv, 0), k: head(qkv, c), v: head(qkv, 2 * c), o: head(att, 0) },
    };
  });
  const gqkv = f(all, 3 * c), gatt = f(all, c);
  return {
    batch,
    context,
    rows,
    ids: keep(empty([all], "i32", gpu)),
    targets: keep(empty([all], "i32", gpu)),
    x0: f(all, c),
    blocks,
    lnf: f(all, c),
    statsf: f(all, 2),
    logits: f(all, config.vocabSize),
    gx: f(all, c),
    ga: f(all, c),
    gln: f(all, c),
    gqkv,
    gatt,
    gh: f(all, 4 * c),
    branch: f(all, c),
    gradHeads: { dq: head(gqkv, 0), dk: head(gqkv, c), dv: head(gqkv, 2 * c), g: head(gatt, 0) },
    dims: { b: sequences, h: heads, t: context, d, scale: 1 / Math.sqrt(d) },
  };
}

function disposeWorkspace(ws: Workspace): void {
  const tensors: Tensor[] = [
    ws.ids,
    ws.targets,
    ws.x0,
    ws.lnf,
    ws.statsf,
    ws.logits,
    ws.gx,
    ws.ga,
    ws.gln,
    ws.gqkv,
    ws.gatt,
    ws.gh,
    ws.branch,
    ...Object.values(ws.gradHeads),
  ];
  for (const b of ws.blocks) {
    const { heads, ...rest } = b;
    tensors.push(...Object.values(rest), ...Object.values(heads));
  }
  for (const t of tensors) {
    runViews.get(t)?.dispose();
    t.dispose();
  }
}
