/**
 * Parameters of R runs in flat GPU slabs: one value slab and one gradient slab, one region per
 * parameter holding its R runs back to back, so every parameter is a dense `[R, ...shape]`
 * view and every gradient a dense view of the gradient slab in the same place. Backward
 * accumulates into those views; the optimizer updates the whole slab in one dispatch (see
 * `kernels/optim.ts` for the layout).
 *
 * @module
 */
import { BLOCK_TABLE_WORDS, UPDATE_BLOCK } from "../../kernels/optim.ts";
import type { GpuBuffer } from "../gpu/pool.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { contiguousStrides, keep, sizeOf, type Tensor, tensor } from "../tensor/tensor.ts";

/** One parameter: its name, its shape in one run, and whether weight decay applies. */
export interface SlabParameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly decay: boolean;
}

/** Where a parameter lives in the slabs. */
export interface SlabRegion extends SlabParameter {
  /** First element of run 0 (a multiple of the update block). */
  readonly offset: number;
  /** Elements of one run. */
  readonly size: number;
}

/**
 * The value and gradient slabs of `runs` runs of a set of parameters.
 *
 * @example
 * ```ts
 * await acquireGpu();
 * const slab = ParameterSlab.create([{ name: "w", shape: [3, 4], decay: true }], 2,
 *   (p, run) => new Float32Array(12).fill(run));
 * const w = slab.param("w"); // [2, 3, 4], requiresGrad, w.grad a view of the gradient slab
 * ```
 */
export class ParameterSlab {
  /** Runs R. */
  readonly runs: number;
  /** Regions in slab order. */
  readonly regions: readonly SlabRegion[];
  /** Elements of each slab. */
  readonly total: number;
  /** The value slab. */
  readonly values: Tensor;
  /** The gradient slab. */
  readonly grads: Tensor;
  readonly #params = new Map<string, Tensor>();

  private constructor(
    parameters: readonly SlabParameter[],
    runs: number,
    initial: (parameter: SlabParameter, run: number) => ArrayLike<number>,
  ) {
    if (!Number.isInteger(runs) || runs < 1) {
      throw new Error(`ParameterSlab: runs must be a positive integer, got ${runs}`);
    }
    if (parameters.length === 0) throw new Error("ParameterSlab: needs at least one parameter");
    this.runs = runs;
    const regions: SlabRegion[] = [];
    let at = 0;
    const names = new Set<string>();
    for (const p of parameters) {
      if (names.has(p.name)) throw new Error(`ParameterSlab: parameter "${p.name}" listed twice`);
      names.add(p.name);
      const size = sizeOf(p.shape);
      if (size === 0) throw new Error(`ParameterSlab: parameter "${p.name}" has no elements`);
      regions.push({ ...p, offset: at, size });
      at += Math.ceil((runs * size) / UPDATE_BLOCK) * UPDATE_BLOCK;
    }
    this.regions = regions;
    this.total = at;
    const host = new Float32Array(at);
    for (const region of regions) {
      for (let r = 0; r < runs; r++) {
        const values = initial(region, r);
        if (values.length !== region.size) {
          throw new Error(
            `ParameterSlab: run ${r} of "${region.name}" has ${values.length} values, ` +
              `expected ${region.size} ([${region.shape}])`,
          );
        }
        host.set(values, region.offset + r * region.size);
      }
    }
    this.values = keep(tensor(host, [at]));
    this.grads = keep(tensor(new Float32Array(at), [at]));
  }

  /**
   * A slab holding `initial(parameter, run)` for every parameter and run.
   *
   * @example
   * ```ts
   * const slab = ParameterSlab.create(specs, 3, (p, run) => initialValues(p, seeds[run]));
   * ```
   */
  static create(
    parameters: readonly SlabParameter[],
    runs: number,
    initial: (parameter: SlabParameter, run: number) => ArrayLike<number>,
  ): ParameterSlab {
    return new ParameterSlab(parameters, runs, initial);
  }

  /** The GPU the slabs live on. */
  get gpu(): Gpu {
    return this.values.gpu;
  }

  /** The region of a parameter; throws naming it when unknown. */
  region(name: string): SlabRegion {
    const region = this.regions.find((r) => r.name === name);
    if (!region) throw new Error(`ParameterSlab: no parameter "${name}"`);
    return region;
  }

  /**
   * The parameter `[R, ...shape]` (a view of the value slab with `requiresGrad`, its `.grad` a
   * view of the gradient slab), or with `single` and R = 1 the `[...shape]` view.
   *
   * @example
   * ```ts
   * const w = slab.param("w"); // [R, 3, 4]
   * ```
   */
  param(name: string, options: { single?: boolean } = {}): Tensor {
    const key = `${name}${options.single ? "#single" : ""}`;
    const cached = this.#params.get(key);
    if (cached) return cached;
    const region = this.region(name);
    if (options.single && this.runs !== 1) {
      throw new Error(
        `ParameterSlab: a single-run view of "${name}" needs R = 1, R is ${this.runs}`,
      );
    }
    const shape = options.single ? [...region.shape] : [this.runs, ...region.shape];
    const strides = contiguousStrides(shape);
    const view = keep(this.values.view(shape, strides, region.offset));
    view.requiresGrad = true;
    view.grad = keep(this.grads.view(shape, strides, region.offset));
    this.#params.set(key, view);
    return view;
  }

  /**
   * Every parameter's values of run `run`, by name (one readback).
   *
   * @example
   * ```ts
   * const values = await slab.readRun(0); // Map name → Float32Array
   * ```
   */
  async readRun(run: number): Promise<Map<string, Float32Array>> {
    if (!Number.isInteger(run) || run < 0 || run >= this.runs) {
      throw new Error(`ParameterSlab: run ${run} is outside 0..${this.runs - 1}`);
    }
    const all = (await this.values.toArray()) as Float32Array;
    const out = new Map<string, Float32Array>();
    for (const region of this.regions) {
      const start = region.offset + run * region.size;
      out.set(region.name, all.slice(start, start + region.size));
    }
    return out;
  }

  /**
   * The block table and region table of the update kernel (see `kernels/optim.ts`).
   *
   * @example
   * ```ts
   * const { blocks, regions, blockCount } = slab.tables();
   * ```
   */
  tables(): { blocks: GpuBuffer; regions: GpuBuffer; blockCount: number } {
    const blockCount = this.total / UPDATE_BLOCK;
    const words = new Uint32Array(blockCount * BLOCK_TABLE_WORDS);
    const regionWords = new Uint32Array(this.regions.length * 4);
    this.regions.forEach((region, k) => {
      regionWords.set([region.offset, region.size, 0, 0], 4 * k);
      const first = region.offset / UPDATE_BLOCK;
      const count = Math.ceil((this.runs * region.size) / UPDATE_BLOCK);
      for (let b = first; b < first + count; b++) {
        words.set([region.offset, region.size, region.decay ? 1 : 0, k], b * BLOCK_TABLE_WORDS);
      }
    });
    const gpu = this.gpu;
    return { blocks: gpu.upload(words), regions: gpu.upload(regionWords), blockCount };
  }

  /** Frees the slabs (parameters and gradients become unusable). */
  dispose(): void {
    for (const t of this.#params.values()) {
      t.grad?.dispose();
      t.grad = null;
      t.dispose();
    }
    this.#params.clear();
    this.values.dispose();
    this.grads.dispose();
  }
}
