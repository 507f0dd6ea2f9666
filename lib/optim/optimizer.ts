/**
 * The optimizer: AdamW (PyTorch's `torch.optim.AdamW`) or SGD with momentum (PyTorch's
 * `torch.optim.SGD`, dampening 0) over a {@link ParameterSlab} of R runs, each run with its own
 * learning-rate schedule, weight decay, betas or momentum, and gradient clip; a step is two
 * dispatches (per-run gradient norms, then the update) whatever R is, with nothing read back.
 * R = 1 is the ordinary case. A run can stop training (it diverged, or it is done) while the
 * others go on: its parameters and state stay as they are.
 *
 * @module
 */
import {
  recordGradNorms,
  recordUpdate,
  type RunStepScalars,
  STATE_SLABS,
  type UpdateRule,
} from "../../kernels/optim.ts";
import { fillInPlace } from "../../kernels/map.ts";
import type { GpuBuffer } from "../gpu/pool.ts";
import { keep, type Tensor, tensor } from "../tensor/tensor.ts";
import type { LrSchedule } from "./schedule.ts";
import type { ParameterSlab } from "./slab.ts";

/** One run's optimizer settings. */
export interface RunOptimizerOptions {
  /** A learning rate, or a schedule giving one per 0-based step. */
  lr: number | LrSchedule;
  /** Weight decay of the parameters that decay (AdamW default 0.01, SGD default 0). */
  weightDecay?: number;
  /** Clip the run's gradients to this global L2 norm before each update (default: none). */
  maxGradNorm?: number;
  /** AdamW's β1 (default 0.9). */
  beta1?: number;
  /** AdamW's β2 (default 0.999). */
  beta2?: number;
  /** AdamW's ε (default 1e-8). */
  eps?: number;
  /** SGD's momentum μ (default 0). */
  momentum?: number;
}

/** A run's settings with defaults filled in. */
interface ResolvedRun {
  schedule: LrSchedule;
  weightDecay: number;
  maxGradNorm: number;
  beta1: number;
  beta2: number;
  eps: number;
}

function checkIn(what: string, value: number, low: number, high: number, open = true): void {
  if (!(value >= low && (open ? value < high : value <= high))) {
    throw new Error(`${what} must be in [${low}, ${high}${open ? ")" : "]"}, got ${value}`);
  }
}

function resolve(rule: UpdateRule, options: RunOptimizerOptions, run: number): ResolvedRun {
  const name = `${rule === "adamw" ? "AdamW" : "SGD"} run ${run}`;
  const lr = options.lr;
  if (typeof lr === "number" && !(Number.isFinite(lr) && lr >= 0)) {
    throw new Error(`${name}: lr must be a finite number >= 0, got ${lr}`);
  }
  const weightDecay = options.weightDecay ?? (rule === "adamw" ? 0.01 : 0);
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
    throw new Error(`${name}: weightDecay must be a finite number >= 0, got ${weightDecay}`);
  }
  const maxGradNorm = options.maxGradNorm ?? 0;
  if (!(Number.isFinite(maxGradNorm) && maxGradNorm >= 0)) {
    throw new Error(`${name}: maxGradNorm must be a finite number >= 0, got ${maxGradNorm}`);
  }
  const beta1 = rule === "adamw" ? options.beta1 ?? 0.9 : options.momentum ?? 0;
  checkIn(`${name}: ${rule === "adamw" ? "beta1" : "momentum"}`, beta1, 0, 1);
  const beta2 = options.beta2 ?? 0.999;
  checkIn(`${name}: beta2`, beta2, 0, 1);
  const eps = options.eps ?? 1e-8;
  if (!(eps > 0)) throw new Error(`${name}: eps must be positive, got ${eps}`);
  return {
    schedule: typeof lr === "number" ? () => lr : lr,
    weightDecay,
    maxGradNorm,
    beta1,
    beta2,
    eps,
  };
}

/**
 * AdamW or SGD over every parameter of every run of a slab.
 *
 * @example
 * ```ts
 * const opt = new Optimizer(slab, "adamw", [{ lr: 3e-3, weightDecay: 0.1, maxGradNorm: 1 }]);
 * backward(loss);     // accumulates into the slab's gradients
 * opt.step();         // updates, and zeroes the gradients for the next step
 * ```
 */
export class Optimizer {
  /** The parameters. */
  readonly slab: ParameterSlab;
  /** The update rule. */
  readonly rule: UpdateRule;
  readonly #runs: ResolvedRun[];
  readonly #live: boolean[];
  readonly #state: Tensor[];
  readonly #parts: Tensor;
  readonly #blocks: GpuBuffer;
  readonly #regions: GpuBuffer;
  readonly #blockCount: number;
  #steps = 0;
  #disposed = false;

  /**
   * @param runs one settings object per run of the slab (or one shared by all runs).
   */
  constructor(
    slab: ParameterSlab,
    rule: UpdateRule,
    runs: RunOptimizerOptions | readonly RunOptimizerOptions[],
  ) {
    if (rule !== "adamw" && rule !== "sgd") {
      throw new Error(`Optimizer: rule must be "adamw" or "sgd", got "${rule}"`);
    }
    const list = Array.isArray(runs) ? runs : Array.from({ length: slab.runs }, () => runs);
    if (list.length !== slab.runs) {
      throw new Error(`Optimizer: ${list.length} run settings for a slab of ${slab.runs} runs`);
    }
    this.slab = slab;
    this.rule = rule;
    this.#runs = list.map((options, r) => resolve(rule, options as RunOptimizerOptions, r));
    this.#live = list.map(() => true);
    this.#state = Array.from(
      { length: STATE_SLABS[rule] },
      () => keep(tensor(new Float32Array(slab.total), [slab.total])),
    );
    this.#parts = keep(tensor(new Float32Array(slab.regions.length * slab.runs), [
      slab.regions.length * slab.runs,
    ]));
    const tables = slab.tables();
    this.#blocks = tables.blocks;
    this.#regions = tables.regions;
    this.#blockCount = tables.blockCount;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#steps;
  }

  /** The learning rate run `run` uses at 0-based step `step` (default: the next step). */
  lr(run: number, step = this.#steps): number {
    return this.#runs[run].schedule(step);
  }

  /** Whether run `run` still trains. */
  isLive(run: number): boolean {
    return this.#live[run];
  }

  /**
   * Stops (or resumes) updating run `run`; its parameters and state stay as they are.
   *
   * @example
   * ```ts
   * opt.setLive(2, false); // run 2 diverged
   * ```
   */
  setLive(run: number, live: boolean): void {
    if (!Number.isInteger(run) || run < 0 || run >= this.#live.length) {
      throw new Error(`Optimizer: run ${run} is outside 0..${this.#live.length - 1}`);
    }
    this.#live[run] = live;
  }

  /**
   * Zeroes every gradient (one dispatch). Only needed before the first backward: each step
   * zeroes the gradients it consumed.
   *
   * @example
   * ```ts
   * opt.zeroGrad();
   * ```
   */
  zeroGrad(): void {
    this.#checkAlive();
    fillInPlace(this.slab.grads, 0);
  }

  /**
   * Updates every live run from its gradients (clipped to its `maxGradNorm` when set) and
   * zeroes the gradients, recording the work on the GPU without reading anything back.
   *
   * @example
   * ```ts
   * backward(loss);
   * opt.step();
   * ```
   */
  step(): void {
    this.#checkAlive();
    const t = this.#steps + 1;
    const scalars: RunStepScalars[] = this.#runs.map((run, r) => {
      const lr = run.schedule(this.#steps);
      if (!Number.isFinite(lr) || lr < 0) {
        throw new Error(
          `Optimizer: the learning rate of run ${r} at step ${this.#steps} is ${lr}, expected ` +
            "a finite number >= 0",
        );
      }
      return {
        lr,
        weightDecay: run.weightDecay,
        beta1: run.beta1,
        beta2: run.beta2,
        eps: run.eps,
        stepSize: lr / (1 - run.beta1 ** t),
        bias2Sqrt: Math.sqrt(1 - run.beta2 ** t),
        maxNorm: run.maxGradNorm,
        live: this.#live[r],
      };
    });
    const gpu = this.slab.gpu;
    const slabs = this.#slabs();
    const regions = this.slab.regions.length;
    recordGradNorms(gpu, slabs, { regions, runs: this.slab.runs });
    recordUpdate(gpu, this.rule, slabs, { blocks: this.#blockCount, regions }, scalars);
    this.#steps++;
  }

  /**
   * Every run's global L2 gradient norm (before clipping), read back: what the next step
   * compares with `maxGradNorm`.
   *
   * @example
   * ```ts
   * const [norm] = await opt.gradNorms();
   * ```
   */
  async gradNorms(): Promise<Float64Array> {
    this.#checkAlive();
    const runs = this.slab.runs, regions = this.slab.regions.length;
    recordGradNorms(this.slab.gpu, this.#slabs(), { regions, runs });
    const parts = (await this.#parts.toArray()) as Float32Array;
    return Float64Array.from({ length: runs }, (_, r) => {
      let sq = 0;
      for (let k = 0; k < regions; k++) sq = Math.fround(sq + parts[k * runs + r]);
      return Math.fround(Math.sqrt(sq));
    });
  }

  /** Releases the optimizer's state (the slab stays with its owner). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of [...this.#state, this.#parts]) t.dispose();
    const pool = this.slab.gpu.pool;
    pool.release(this.#blocks);
    pool.release(this.#regions);
  }

  #slabs() {
    return {
      values: this.slab.values.buffer,
      grads: this.slab.grads.buffer,
      blocks: this.#blocks,
      regions: this.#regions,
      parts: this.#parts.buffer,
      state: this.#state.map((s) => s.buffer),
    };
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error("Optimizer: used after dispose()");
  }
}

/**
 * AdamW over a slab (PyTorch's defaults: weight decay 0.01, β 0.9 / 0.999, ε 1e-8).
 *
 * @example
 * ```ts
 * const opt = adamW(slab, { lr: cosineLr({ peak: 6e-4, floor: 6e-5, warmupSteps: 100, decaySteps: 5000 }), weightDecay: 0.1, maxGradNorm: 1 });
 * ```
 */
export function adamW(
  slab: ParameterSlab,
  runs: RunOptimizerOptions | readonly RunOptimizerOptions[],
): Optimizer {
  return new Optimizer(slab, "adamw", runs);
}

/**
 * SGD with momentum over a slab (defaults: momentum 0, weight decay 0).
 *
 * @example
 * ```ts
 * const opt = sgd(slab, { lr: 0.03 });
 * ```
 */
export function sgd(
  slab: ParameterSlab,
  runs: RunOptimizerOptions | readonly RunOptimizerOptions[],
): Optimizer {
  return new Optimizer(slab, "sgd", runs);
}
