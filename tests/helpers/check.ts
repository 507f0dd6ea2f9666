/**
 * Test helpers: compare GPU results with float64 references, and check backward against
 * central finite differences.
 *
 * @module
 */
import { acquireGpu } from "../../lib/gpu/mod.ts";
import { backward, mul, noGrad, sumAll, type Tensor, tensor, tidy } from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

/** Acquires the shared GPU (tests call this first). */
export async function gpu() {
  return await acquireGpu();
}

/** Deterministic test data: uniform in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise; the message names the
 * worst element.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-5, what = "values" } = {},
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const excess = err - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-2; f32 forward passes). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Elements per input checked one by one (the rest through a random direction). */
  perElement?: number;
  seed?: number;
}

/**
 * Checks the gradients of `f` with respect to each input against central finite differences
 * of the GPU forward pass. The scalar checked is sum(w * f(inputs)) with fixed random w, so
 * every output element contributes. Inputs are given as host arrays and shapes; returns
 * nothing, throws on mismatch naming the input and element.
 */
export async function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { data: Float32Array; shape: number[] }[],
  options: GradcheckOptions = {},
): Promise<void> {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const perElement = options.perElement ?? 6;
  const rng = new Rng(options.seed ?? 7);
  const probe = noGrad(() => tidy(() => f(...inputs.map((x) => tensor(x.data, x.shape)))));
  const weights = Float32Array.from({ length: probe.size }, () => rng.uniform() * 2 - 1);
  const weightShape = [...probe.shape];
  probe.dispose();

  const loss = (datas: Float32Array[]): Promise<number> => {
    const l = noGrad(() =>
      tidy(() => {
        const out = f(...datas.map((d, i) => tensor(d, inputs[i].shape)));
        return sumAll(mul(out, tensor(weights, weightShape)));
      })
    );
    return l.item().finally(() => l.dispose());
  };

  const leaves = inputs.map((x) => tensor(x.data, x.shape, { requiresGrad: true }));
  const l = tidy(() => sumAll(mul(f(...leaves), tensor(weights, weightShape))));
  backward(l);
  l.dispose();
  const analytic = await Promise.all(
    leaves.map((t) => t.grad ? t.grad.toArray() : Promise.resolve(new Float32Array(t.size))),
  );
  for (const t of leaves) {
    t.grad?.dispose();
    t.dispose();
  }

  const base = inputs.map((x) => Float32Array.from(x.data));
  for (let k = 0; k < inputs.length; k++) {
    const n = inputs[k].data.length;
    const picks = n <= perElement ? [...Array(n).keys()] : rng.permutation(n).slice(0, perElement);
    for (const i of picks) {
      const plus = base.map((b) => Float32Array.from(b));
      const minus = base.map((b) => Float32Array.from(b));
      plus[k][i] += eps;
      minus[k][i] -= eps;
      const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
      assertClose([analytic[k][i]], [numeric], {
        atol,
        rtol,
        what: `input ${k} element ${i} gradient`,
      });
    }
    // One random direction through all elements.
    const dir = Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
    const plus = base.map((b) => Float32Array.from(b));
    const minus = base.map((b) => Float32Array.from(b));
    for (let i = 0; i < n; i++) {
      plus[k][i] += eps * dir[i];
      minus[k][i] -= eps * dir[i];
    }
    const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += analytic[k][i] * dir[i];
    assertClose([dot], [numeric], {
      atol: atol * Math.sqrt(n),
      rtol,
      what: `input ${k} directional derivative`,
    });
  }
}
