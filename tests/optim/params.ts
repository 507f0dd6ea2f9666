/**
 * Test helpers for the optimizer: a slab of parameters of awkward shapes for R runs, and
 * gradients delivered through autograd (so they accumulate into the slab's gradients as in
 * training).
 *
 * @module
 */
import { randomArray } from "../helpers/check.ts";
import * as T from "../../lib/ops/mod.ts";
import { ParameterSlab } from "../../lib/optim/mod.ts";

/** Shapes that are not multiples of any workgroup size. */
export const AWKWARD_SHAPES: number[][] = [[1], [7], [33, 5], [129], [3, 7, 11], [1000]];

/** A slab of `runs` runs of parameters `shapes` (every other one decaying), and host copies. */
export function makeSlab(shapes: readonly number[][], runs: number, seed: number) {
  const specs = shapes.map((shape, k) => ({ name: `p${k}`, shape, decay: k % 2 === 0 }));
  const values = specs.map((spec, k) =>
    Array.from(
      { length: runs },
      (_, r) => randomArray(spec.shape.reduce((a, b) => a * b, 1), seed + 100 * r + k),
    )
  );
  const slab = ParameterSlab.create(
    specs,
    runs,
    (spec, r) => values[Number(spec.name.slice(1))][r],
  );
  return { slab, specs, values };
}

/** Random gradients per parameter and run, uniform in [lo, hi). */
export function makeGrads(
  shapes: readonly number[][],
  runs: number,
  seed: number,
  lo = -1,
  hi = 1,
): Float32Array[][] {
  return shapes.map((s, k) =>
    Array.from(
      { length: runs },
      (_, r) => randomArray(s.reduce((a, b) => a * b, 1), seed + 1000 * k + r, lo, hi),
    )
  );
}

/** Backward of Σ sum(p · g) over parameters and runs: leaves g in the slab's gradients. */
export function backwardWithGrads(slab: ParameterSlab, grads: readonly Float32Array[][]): void {
  const loss = T.tidy(() =>
    slab.regions.map((region, k) => {
      const p = slab.param(region.name);
      const flat = new Float32Array(grads[k].reduce((n, g) => n + g.length, 0));
      grads[k].forEach((g, r) => flat.set(g, r * g.length));
      return T.sumAll(T.mul(p, T.tensor(flat, p.shape)));
    }).reduce((a, b) => T.add(a, b))
  );
  T.backward(loss);
  loss.dispose();
}

/** Host copies of every parameter of every run: [parameter][run]. */
export async function readAll(slab: ParameterSlab): Promise<Float32Array[][]> {
  const perRun = await Promise.all(
    Array.from({ length: slab.runs }, (_, r) => slab.readRun(r)),
  );
  return slab.regions.map((region) => perRun.map((run) => run.get(region.name)!));
}
