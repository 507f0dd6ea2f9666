import { assertClose, gpu } from "../helpers/check.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

function expectError(f: () => unknown, text: string): void {
  try {
    f();
  } catch (e) {
    const m = (e as Error).message;
    if (!m.includes(text)) throw new Error(`expected "${text}", got: ${m}`);
    return;
  }
  throw new Error(`no error (expected "${text}")`);
}

Deno.test("gradients accumulate over backward calls until cleared", async () => {
  const x = T.tensor([1, 2, 3], [3], { requiresGrad: true });
  for (let i = 0; i < 2; i++) T.tidy(() => T.backward(T.sumAll(T.mul(x, x))));
  assertClose(await x.grad!.toArray(), [4, 8, 12]);
  x.grad!.dispose();
  x.grad = null;
  T.tidy(() => T.backward(T.sumAll(x)));
  assertClose(await x.grad!.toArray(), [1, 1, 1]);
  x.grad!.dispose();
  x.dispose();
});

Deno.test("a tensor used twice gets the sum of both paths", async () => {
  const x = T.tensor([0.5, -1], [2], { requiresGrad: true });
  T.tidy(() => {
    const y = T.tanh(x);
    T.backward(T.sumAll(T.add(T.mul(y, x), y)));
  });
  const expected = [0.5, -1].map((v) => {
    const t = Math.tanh(v);
    return (1 - t * t) * v + t + (1 - t * t);
  });
  assertClose(await x.grad!.toArray(), expected, { atol: 1e-6 });
  x.grad!.dispose();
  x.dispose();
});

Deno.test("noGrad records nothing and backward frees the graph", () => {
  const x = T.tensor([1, 2], [2], { requiresGrad: true });
  const y = T.noGrad(() => T.exp(x));
  if (y.node) throw new Error("noGrad recorded a node");
  expectError(() => T.backward(T.sumAll(y)), "has no graph");
  const l = T.sumAll(T.exp(x));
  T.backward(l);
  expectError(() => T.backward(l), "has no graph");
  const l2 = T.sumAll(T.exp(x));
  T.backward(l2, { retainGraph: true });
  T.backward(l2);
  for (const t of [x, y, l, l2, x.grad!]) t.dispose();
});

Deno.test("tidy disposes intermediates and keeps returned tensors", async () => {
  const gpu = await T.tidy(() => T.tensor([1])).gpu;
  const before = gpu.pool.stats.inUse;
  const kept = T.tidy(() => {
    const a = T.tensor([1, 2, 3]);
    const b = T.exp(a);
    return { out: T.add(a, b), n: 3 };
  });
  if (gpu.pool.stats.inUse !== before + 1) {
    throw new Error(`expected one live buffer, found ${gpu.pool.stats.inUse - before}`);
  }
  assertClose(await kept.out.toArray(), [1, 2, 3].map((v) => v + Math.exp(v)), { rtol: 1e-6 });
  kept.out.dispose();
  expectError(() => T.exp(kept.out), "disposed");
});

Deno.test("backward checks the seed gradient and non-scalar outputs", () => {
  const x = T.tensor([1, 2], [2], { requiresGrad: true });
  const y = T.exp(x);
  expectError(() => T.backward(y), "non-scalar");
  expectError(() => T.backward(y, { grad: T.tensor([1, 2, 3]) }), "shape");
  T.backward(y, { grad: T.tensor([1, 1]) });
  x.grad!.dispose();
  x.dispose();
});

Deno.test("same seed gives the same initialization", async () => {
  const a = await T.randn([129], { seed: 42 }).toArray();
  const b = await T.randn([129], { seed: 42 }).toArray();
  const c = await T.randn([129], { seed: 43 }).toArray();
  assertClose(a, b, { atol: 0, rtol: 0 });
  if (a.every((v, i) => v === c[i])) throw new Error("different seeds gave the same values");
});
