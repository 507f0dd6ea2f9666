/**
 * Test helpers for the optimizers: parameters of awkward shapes and gradients delivered through
 * autograd (so they accumulate into the optimizer's gradient slab as in training).
 *
 * @module
 */
import { randomArray } from "../helpers/check.ts";
import * as T from "../../lib/ops/mod.ts";

/** Shapes that are not multiples of any workgroup size. */
export const AWKWARD_SHAPES: number[][] = [[1], [7], [33, 5], [129], [3, 7, 11], [1000]];

/** Parameters with values uniform in [-1, 1), and their host copies. */
export function makeParams(shapes: readonly number[][], seed: number) {
  const values = shapes.map((s, k) => randomArray(s.reduce((a, b) => a * b, 1), seed + k));
  const params = shapes.map((s, k) => T.tensor(values[k], s, { requiresGrad: true }));
  return { params, values };
}

/** Random gradients for `shapes`, uniform in [lo, hi). */
export function makeGrads(shapes: readonly number[][], seed: number, lo = -1, hi = 1) {
  return shapes.map((s, k) => randomArray(s.reduce((a, b) => a * b, 1), seed + 100 * k, lo, hi));
}

/** Runs backward of Σ_k sum(p_k · g_k), which leaves g_k in each p_k's gradient. */
export function backwardWithGrads(params: readonly T.Tensor[], grads: readonly Float32Array[]) {
  const loss = T.tidy(() =>
    params
      .map((p, k) => T.sumAll(T.mul(p, T.tensor(grads[k], p.shape))))
      .reduce((a, b) => T.add(a, b))
  );
  T.backward(loss);
  loss.dispose();
}

/** Host copies of the parameters' values. */
export function readAll(params: readonly T.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(params.map((p) => p.toArray() as Promise<Float32Array>));
}

/** Disposes parameters and their gradients. */
export function disposeAll(params: readonly T.Tensor[]): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
    p.dispose();
  }
}
