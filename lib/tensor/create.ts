/**
 * Tensor constructors: constants and seeded random initializations, filled on the CPU and
 * uploaded (no kernel).
 *
 * @module
 */
import { Rng } from "../random/xoshiro.ts";
import { type DType, sizeOf, type Tensor, tensor } from "./tensor.ts";

/** Options shared by the constructors. */
export interface CreateOptions {
  /** Accumulate gradients into this tensor (a parameter). */
  requiresGrad?: boolean;
}

/**
 * Zeros.
 *
 * @example
 * ```ts
 * const b = zeros([10], { requiresGrad: true });
 * ```
 */
export function zeros(
  shape: readonly number[],
  options: CreateOptions & { dtype?: DType } = {},
): Tensor {
  return full(shape, 0, options);
}

/**
 * Ones.
 *
 * @example
 * ```ts
 * const gamma = ones([64], { requiresGrad: true });
 * ```
 */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/**
 * A constant tensor.
 *
 * @example
 * ```ts
 * const bias = full([10], -1);
 * ```
 */
export function full(
  shape: readonly number[],
  value: number,
  options: CreateOptions & { dtype?: DType } = {},
): Tensor {
  const dtype = options.dtype ?? "f32";
  const data = dtype === "i32" ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
  data.fill(value);
  return tensor(data, shape, { dtype, requiresGrad: options.requiresGrad });
}

/**
 * Normal samples with mean 0 and standard deviation `std` from a seeded generator (the same
 * seed gives the same values everywhere).
 *
 * @example
 * ```ts
 * const w = randn([64, 64], { seed: 1, std: 0.02, requiresGrad: true });
 * ```
 */
export function randn(
  shape: readonly number[],
  options: CreateOptions & { seed: number | Rng; std?: number },
): Tensor {
  const rng = options.seed instanceof Rng ? options.seed : new Rng(options.seed);
  const std = options.std ?? 1;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
  return tensor(data, shape, { requiresGrad: options.requiresGrad });
}

/**
 * Uniform samples in [low, high) from a seeded generator.
 *
 * @example
 * ```ts
 * const w = uniform([30, 192], -0.17, 0.17, { seed: 3, requiresGrad: true });
 * ```
 */
export function uniform(
  shape: readonly number[],
  low: number,
  high: number,
  options: CreateOptions & { seed: number | Rng },
): Tensor {
  const rng = options.seed instanceof Rng ? options.seed : new Rng(options.seed);
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.uniform();
  return tensor(data, shape, { requiresGrad: options.requiresGrad });
}
