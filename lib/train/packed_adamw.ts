/**
 * AdamW over a {@link PackedGpt}: every trial has its own learning-rate schedule and its own
 * clipping by global gradient norm, all trials update in four dispatches per step (see
 * `kernels/packed_adamw.ts`), and nothing is read back.
 *
 * @module
 */
import { grid1d } from "../gpu/grid.ts";
import type { GpuBuffer } from "../gpu/pool.ts";
import type { Gpu } from "../gpu/runtime.ts";
import {
  PACKED_BLOCK,
  PACKED_TABLE_WORDS,
  packedAdamwParams,
  packedAdamwSource,
  packedClipParams,
  packedClipSource,
  packedNormParams,
  packedNormSource,
  packedTrialScalars,
} from "../../kernels/packed_adamw.ts";
import { fillInPlace } from "../../kernels/map.ts";
import { empty, keep, type Tensor } from "../tensor/tensor.ts";
import type { LrSchedule } from "../optim/schedule.ts";
import type { PackedGpt } from "../nn/packed_gpt.ts";

/** Options of {@link PackedAdamW}. */
export interface PackedAdamWOptions {
  /** One learning-rate schedule per trial. */
  lr: readonly LrSchedule[];
  /** Decoupled weight decay on matrices and embeddings (biases and gains get none). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Default 1e-8. */
  eps?: number;
  /** Clip each trial's gradients to this global norm; 0 or absent: no clipping. */
  maxGradNorm?: number;
}

/**
 * AdamW with per-trial learning rates and clipping for packed trials.
 *
 * @example
 * ```ts
 * const optimizer = new PackedAdamW(packed, {
 *   lr: [constantLr(1e-3), constantLr(3e-3)], weightDecay: 0.1, beta1: 0.9, beta2: 0.95, maxGradNorm: 1,
 * });
 * ```
 */
export class PackedAdamW {
  /** The per-trial schedules. */
  readonly schedules: readonly LrSchedule[];
  readonly #model: PackedGpt;
  readonly #gpu: Gpu;
  readonly #options: Required<PackedAdamWOptions>;
  readonly #state: Tensor[];
  readonly #parts: Tensor;
  readonly #clip: Tensor;
  readonly #norms: Tensor;
  readonly #table: GpuBuffer;
  readonly #scalars: GpuBuffer;
  readonly #blocks: number;
  #steps = 0;

  constructor(model: PackedGpt, options: PackedAdamWOptions) {
    if (options.lr.length !== model.trials) {
      throw new Error(
        `PackedAdamW: ${options.lr.length} learning-rate schedules for ${model.trials} trials`,
      );
    }
    this.#model = model;
    this.schedules = options.lr;
    this.#options = {
      ...options,
      eps: options.eps ?? 1e-8,
      maxGradNorm: options.maxGradNorm ?? 0,
    };
    const gpu = this.#gpu = model.values.gpu;
    const slab = model.slab;
    this.#blocks = slab.total / PACKED_BLOCK;
    const decayed = slab.table.slice();
    const decay = new Float32Array(decayed.buffer);
    for (let b = 0; b < this.#blocks; b++) {
      decay[b * PACKED_TABLE_WORDS + 2] *= options.weightDecay;
    }
    this.#table = gpu.upload(decayed);
    this.#state = [0, 1].map(() => {
      const t = keep(empty([slab.total], "f32", gpu));
      fillInPlace(t, 0);
      return t;
    });
    this.#parts = keep(empty([this.#blocks * model.trials], "f32", gpu));
    this.#clip = keep(empty([model.trials], "f32", gpu));
    this.#norms = keep(empty([model.trials], "f32", gpu));
    this.#scalars = gpu.pool.acquire(8 * model.trials);
  }

  /** Steps taken. */
  get stepCount(): number {
    return this.#steps;
  }

  /**
   * Clips and updates every trial's parameters from the gradient slab.
   *
   * @example
   * ```ts
   * packed.zeroGrad();
   * backward(packed.loss(inputs, targets, batch, context).total);
   * optimizer.step();
   * ```
   */
  step(): void {
    const gpu = this.#gpu, model = this.#model, trials = model.trials, o = this.#options;
    const t = this.#steps + 1;
    const lrs = this.schedules.map((schedule) => schedule(this.#steps));
    gpu.write(this.#scalars, packedTrialScalars(lrs, o.beta1, t));
    const groups = grid1d(this.#blocks, 1);
    gpu.dispatch(
      gpu.kernel(packedNormSource(trials)),
      [model.grads.buffer, this.#table, this.#parts.buffer],
      packedNormParams(this.#blocks),
      groups,
    );
    gpu.dispatch(
      gpu.kernel(packedClipSource(trials)),
      [this.#parts.buffer, this.#clip.buffer, this.#norms.buffer],
      packedClipParams(this.#blocks, o.maxGradNorm),
      [1],
    );
    gpu.dispatch(
      gpu.kernel(packedAdamwSource(trials)),
      [
        model.grads.buffer,
        this.#table,
        this.#clip.buffer,
        this.#scalars,
        model.values.buffer,
        this.#state[0].buffer,
        this.#state[1].buffer,
      ],
      packedAdamwParams(this.#blocks, o, t),
      groups,
    );
    this.#steps++;
  }

  /**
   * Each trial's gradient norm before clipping at the last step (reads back).
   *
   * @example
   * ```ts
   * const norms = await optimizer.lastGradNorms();
   * ```
   */
  async lastGradNorms(): Promise<Float32Array> {
    return (await this.#norms.toArray()) as Float32Array;
  }

  /** Frees the optimizer state. */
  dispose(): void {
    for (const t of [...this.#state, this.#parts, this.#clip, this.#norms]) t.dispose();
    this.#gpu.pool.release(this.#table);
    this.#gpu.pool.release(this.#scalars);
  }
}
