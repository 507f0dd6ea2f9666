/**
 * The 1989 net's trainer over the whole-run kernels (`kernels/lecun/train_kernel.ts`): uploads
 * the digits once, keeps the state of many independent runs (one workgroup each) in one buffer,
 * records a pass as a few dispatches, and evaluates all runs on the train and test sets with one
 * parallel dispatch per set.
 *
 * @module
 */
import type { GpuBuffer } from "../gpu/pool.ts";
import type { Gpu } from "../gpu/runtime.ts";
import type { Digits1989 } from "../data/mnist.ts";
import { lecunShape, parameterLayout } from "../../kernels/lecun/architecture.ts";
import {
  laneTables,
  MAX_EXAMPLES_PER_DISPATCH,
  recordEvaluation,
  recordTraining,
  type RunGroupBuffers,
  runStateStride,
  type TrainKernelSpec,
  workgroupBytes,
} from "../../kernels/lecun/train_kernel.ts";
import { type LecunConfig, outputBiasInit, passLearningRate } from "./config.ts";
import { initParameters } from "./init.ts";

/** The digits of one data set on the GPU: train examples first, then test examples. */
export interface DigitsOnGpu {
  gpu: Gpu;
  /** 256 floats per example. */
  images: GpuBuffer;
  /** One u32 label per example. */
  labels: GpuBuffer;
  trainCount: number;
  testCount: number;
  /** Returns the buffers to the pool. */
  dispose(): void;
}

/**
 * Uploads a 1989 digit set (train then test) for the trainer.
 *
 * @example
 * ```ts
 * const data = uploadDigits(gpu, await loadDigits1989());
 * ```
 */
export function uploadDigits(gpu: Gpu, digits: Digits1989): DigitsOnGpu {
  const { train, test } = digits;
  const images = new Float32Array((train.count + test.count) * 256);
  images.set(train.images, 0);
  images.set(test.images, train.count * 256);
  const labels = new Uint32Array(train.count + test.count);
  labels.set(train.labels, 0);
  labels.set(test.labels, train.count);
  const imageBuffer = gpu.upload(images);
  const labelBuffer = gpu.upload(labels);
  return {
    gpu,
    images: imageBuffer,
    labels: labelBuffer,
    trainCount: train.count,
    testCount: test.count,
    dispose() {
      gpu.pool.release(imageBuffer);
      gpu.pool.release(labelBuffer);
    },
  };
}

/** Loss and misses of one run on one set. */
export interface SplitStats {
  /** Mean loss per example (MSE over the 10 outputs, or cross-entropy). */
  loss: number;
  /** Examples whose largest output is not the label. */
  misses: number;
  /** Examples evaluated. */
  count: number;
  /** Misses in percent. */
  error: number;
}

/** Evaluation of one run. */
export interface RunEvaluation {
  train: SplitStats;
  test: SplitStats;
}

/**
 * The training kernel's compile-time choices for a config.
 *
 * @example
 * ```ts
 * kernelSpecOf(lecunConfig("modern")).dropout; // true
 * ```
 */
export function kernelSpecOf(config: LecunConfig): TrainKernelSpec {
  return {
    width: config.width,
    loss: config.loss,
    activation: config.activation,
    mode: config.optimizer,
    dropout: config.dropout > 0,
  };
}

/**
 * Why the trainer cannot run `config` on `gpu` (its width needs more workgroup memory than
 * the adapter has), or null when it can.
 *
 * @example
 * ```ts
 * unsupportedWidth(gpu, lecunConfig("baseline")); // null
 * ```
 */
export function unsupportedWidth(gpu: Gpu, config: LecunConfig): string | null {
  const shape = lecunShape(config.width);
  const need = workgroupBytes(shape);
  const have = gpu.device.limits.maxComputeWorkgroupStorageSize;
  if (need > have) {
    return `width ${config.width} needs ${need} bytes of workgroup memory in the trainer's kernels, ` +
      `the adapter allows ${have}`;
  }
  return null;
}

/** Options of a {@link LecunTrainer}. */
export interface LecunTrainerOptions {
  /**
   * Most examples per training dispatch (default 8192, at most `MAX_EXAMPLES_PER_DISPATCH`;
   * bounds the time of one dispatch).
   */
  examplesPerDispatch?: number;
  /** Examples per evaluation workgroup (default 128). */
  evalBlock?: number;
  /** Starting parameters per run (default: `initParameters` from each run's seed). */
  initial?: Float32Array[];
}

/**
 * Trains several independent runs of the 1989 net, one workgroup per run, in lockstep: all
 * runs share the compile-time choices (width, loss, activation, optimizer, dropout on/off),
 * the data and the number of passes; seeds, learning rates, weight decay, dropout probability
 * and augmentation may differ.
 *
 * @example
 * ```ts
 * const trainer = new LecunTrainer(gpu, data, [lecunConfig("baseline", { seed: 1 })]);
 * trainer.trainPass(0);
 * const [result] = await trainer.evaluate();
 * trainer.dispose();
 * ```
 */
export class LecunTrainer {
  readonly gpu: Gpu;
  readonly configs: readonly LecunConfig[];
  readonly spec: TrainKernelSpec;
  readonly data: DigitsOnGpu;
  readonly #shape: ReturnType<typeof lecunShape>;
  readonly #stride: number;
  readonly #size: number;
  readonly #state: GpuBuffer;
  readonly #tables: GpuBuffer;
  readonly #stats: GpuBuffer;
  readonly #examplesPerDispatch: number;
  readonly #evalBlock: number;
  #disposed = false;

  constructor(
    gpu: Gpu,
    data: DigitsOnGpu,
    configs: readonly LecunConfig[],
    options: LecunTrainerOptions = {},
  ) {
    if (configs.length === 0) throw new Error("LecunTrainer: no runs given");
    const first = configs[0];
    const key = JSON.stringify(kernelSpecOf(first));
    for (const c of configs) {
      const k = JSON.stringify(kernelSpecOf(c));
      if (k !== key || c.trainSize !== first.trainSize || c.passes !== first.passes) {
        throw new Error(
          `LecunTrainer: runs must share width, loss, activation, optimizer, dropout on/off, ` +
            `train size and passes (${c.variant} differs from ${first.variant})`,
        );
      }
    }
    if (data.trainCount < first.trainSize) {
      throw new Error(
        `LecunTrainer: data has ${data.trainCount} train digits, config wants ${first.trainSize}`,
      );
    }
    const reason = unsupportedWidth(gpu, first);
    if (reason) throw new Error(reason);
    this.gpu = gpu;
    this.configs = configs;
    this.data = data;
    this.spec = kernelSpecOf(first);
    this.#shape = lecunShape(first.width);
    this.#size = parameterLayout(this.#shape).size;
    this.#stride = runStateStride(this.#shape, this.spec.mode);
    this.#examplesPerDispatch = options.examplesPerDispatch ?? 8192;
    if (
      !Number.isInteger(this.#examplesPerDispatch) || this.#examplesPerDispatch < 1 ||
      this.#examplesPerDispatch > MAX_EXAMPLES_PER_DISPATCH
    ) {
      throw new Error(
        `LecunTrainer: examplesPerDispatch must be an integer from 1 to ` +
          `${MAX_EXAMPLES_PER_DISPATCH}, got ${this.#examplesPerDispatch}`,
      );
    }
    this.#evalBlock = options.evalBlock ?? 128;
    const state = new Float32Array(configs.length * this.#stride);
    configs.forEach((c, r) => {
      const init = options.initial?.[r] ??
        initParameters(this.#shape, c.seed, outputBiasInit(c.loss));
      if (init.length !== this.#size) {
        throw new Error(
          `LecunTrainer: initial parameters of run ${r} have ${init.length} values, expected ${this.#size}`,
        );
      }
      state.set(init, r * this.#stride);
    });
    this.#state = gpu.upload(state);
    this.#tables = gpu.upload(laneTables(this.#shape).data);
    const blocks = this.#blocks(first.trainSize) + this.#blocks(data.testCount);
    this.#stats = gpu.pool.acquire(configs.length * blocks * 2 * 4);
  }

  /** Number of runs. */
  get runs(): number {
    return this.configs.length;
  }

  /**
   * Records one pass over the first `trainSize` train digits (0-based `pass`: it sets the
   * learning rate of the schedule and the step numbers of the noise and of AdamW).
   */
  trainPass(pass: number): void {
    const n = this.configs[0].trainSize;
    const lrs = this.configs.map((c) => passLearningRate(c, pass));
    for (let start = 0; start < n; start += this.#examplesPerDispatch) {
      const count = Math.min(this.#examplesPerDispatch, n - start);
      this.trainExamples(start, count, pass * n + start, lrs);
    }
  }

  /**
   * Records training on train digits `start .. start+count-1`; `stepBase` numbers the first
   * of them (global step, from 0), `lrs` gives each run's learning rate.
   */
  trainExamples(start: number, count: number, stepBase: number, lrs: readonly number[]): void {
    this.#alive();
    if (count > MAX_EXAMPLES_PER_DISPATCH) {
      throw new Error(
        `LecunTrainer: ${count} examples in one dispatch, at most ${MAX_EXAMPLES_PER_DISPATCH}`,
      );
    }
    if (start < 0 || start + count > this.configs[0].trainSize) {
      throw new Error(
        `LecunTrainer: examples ${start}..${start + count - 1} are outside the ` +
          `${this.configs[0].trainSize} train digits`,
      );
    }
    recordTraining(
      this.gpu,
      this.spec,
      this.#buffers(),
      this.configs.map((c, r) => ({
        lr: lrs[r],
        weightDecay: c.optimizer === "adamw" ? c.weightDecay : 0,
        dropout: c.dropout,
        augment: c.augment,
        seed: c.seed,
      })),
      { start, count, stepBase },
    );
  }

  /** Evaluates every run on its train digits and the whole test set (loss, misses, error %). */
  async evaluate(): Promise<RunEvaluation[]> {
    this.#alive();
    const gpu = this.gpu;
    const spec = { width: this.spec.width, loss: this.spec.loss, activation: this.spec.activation };
    const block = this.#evalBlock;
    const trainCount = this.configs[0].trainSize;
    const sets = [
      { base: 0, count: trainCount },
      { base: this.data.trainCount, count: this.data.testCount },
    ];
    let out = 0;
    for (const set of sets) {
      out += recordEvaluation(gpu, spec, this.#buffers(), this.#stats, {
        runs: this.runs,
        stride: this.#stride,
      }, { ...set, block, out });
    }
    const stats = new Float32Array(await gpu.read(this.#stats, 0, out * 4));
    const trainBlocks = this.#blocks(trainCount);
    const testBlocks = this.#blocks(this.data.testCount);
    return this.configs.map((_, r) => ({
      train: summarize(stats, r * trainBlocks * 2, trainBlocks, trainCount),
      test: summarize(
        stats,
        this.runs * trainBlocks * 2 + r * testBlocks * 2,
        testBlocks,
        this.data.testCount,
      ),
    }));
  }

  /** The current parameters of run `run` (flat layout). */
  async parameters(run: number): Promise<Float32Array> {
    this.#alive();
    const bytes = await this.gpu.read(this.#state, run * this.#stride * 4, this.#size * 4);
    return new Float32Array(bytes);
  }

  /** Releases the GPU buffers (the data stays with its owner). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.gpu.pool.release(this.#state);
    this.gpu.pool.release(this.#tables);
    this.gpu.pool.release(this.#stats);
  }

  #buffers(): RunGroupBuffers {
    return {
      images: this.data.images,
      labels: this.data.labels,
      tables: this.#tables,
      state: this.#state,
    };
  }

  #blocks(count: number): number {
    return Math.ceil(count / this.#evalBlock);
  }

  #alive(): void {
    if (this.#disposed) throw new Error("LecunTrainer: used after dispose()");
  }
}

function summarize(stats: Float32Array, at: number, blocks: number, count: number): SplitStats {
  let loss = 0, misses = 0;
  for (let b = 0; b < blocks; b++) {
    loss += stats[at + 2 * b];
    misses += stats[at + 2 * b + 1];
  }
  return { loss: loss / count, misses, count, error: (100 * misses) / count };
}
