import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { dropoutMaskReference, dropoutReference } from "../../kernels/dropout.ts";
import { dropout } from "../../lib/ops/dropout.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

Deno.test("the GPU mask is exactly the reference mask of (seed, step, index)", async () => {
  for (const n of [1, 7, 33, 129, 1000]) {
    for (const [p, seed, step] of [[0.25, 1, 0], [0.5, 0xffffffff, 12345], [0.1, 42, 7]]) {
      const x = randomArray(n, n + step);
      const y = T.tidy(() => dropout(T.tensor(x, [n]), p, seed, step));
      assertClose(await y.toArray(), dropoutReference(x, p, seed, step), {
        atol: 0,
        rtol: 0,
        what: `dropout n ${n} p ${p} seed ${seed} step ${step}`,
      });
      y.dispose();
    }
  }
});

Deno.test("keep rate, mean and pair statistics match 1 - p", async () => {
  const n = 1 << 18;
  for (const p of [0.1, 0.25, 0.5, 0.9]) {
    const y = T.tidy(() => dropout(T.ones([n]), p, 2024, 3));
    const values = await y.toArray();
    y.dispose();
    const scale = Math.fround(1 / (1 - p));
    let kept = 0, pairs = 0, total = 0;
    for (let i = 0; i < n; i++) {
      if (values[i] !== 0 && values[i] !== scale) throw new Error(`value ${values[i]} at ${i}`);
      const k = values[i] !== 0 ? 1 : 0;
      kept += k;
      total += values[i];
      if (i > 0 && k && values[i - 1] !== 0) pairs++;
    }
    const q = 1 - p;
    const sigma = Math.sqrt(p * q / n);
    const rate = kept / n;
    if (Math.abs(rate - q) > 5 * sigma) throw new Error(`p ${p}: keep rate ${rate}, expected ${q}`);
    const mean = total / n;
    if (Math.abs(mean - 1) > 5 * sigma * scale) throw new Error(`p ${p}: mean ${mean}, expected 1`);
    const pairRate = pairs / (n - 1);
    const pairSigma = Math.sqrt(q * q * (1 - q * q) / n) * 3; // neighbours overlap: inflate
    if (Math.abs(pairRate - q * q) > 5 * pairSigma) {
      throw new Error(`p ${p}: adjacent kept pairs ${pairRate}, expected ${q * q}`);
    }
  }
});

Deno.test("same seed and step give the same mask; another step or seed another one", () => {
  const n = 4096, p = 0.5;
  const base = dropoutMaskReference(n, p, 7, 100);
  const differing = (other: Uint8Array) => other.filter((v, i) => v !== base[i]).length / n;
  if (differing(dropoutMaskReference(n, p, 7, 100)) !== 0) throw new Error("not reproducible");
  for (const [seed, step] of [[7, 101], [8, 100], [7, 0]]) {
    const d = differing(dropoutMaskReference(n, p, seed, step));
    // Independent masks differ in 2p(1-p) = 50% of positions.
    if (Math.abs(d - 0.5) > 0.05) throw new Error(`seed ${seed} step ${step}: ${d} differ`);
  }
});

Deno.test("GPU masks: same arguments agree, a new step changes the mask", async () => {
  const n = 1000;
  const x = T.ones([n]);
  const run = (step: number) => T.tidy(() => dropout(x, 0.5, 9, step));
  const [a, b, c] = [run(5), run(5), run(6)];
  const [va, vb, vc] = await Promise.all([a.toArray(), b.toArray(), c.toArray()]);
  assertClose(va, vb, { atol: 0, rtol: 0, what: "same step" });
  const differ = va.filter((v, i) => v !== vc[i]).length / n;
  if (differ < 0.4 || differ > 0.6) throw new Error(`a new step changed ${differ} of the mask`);
  for (const t of [x, a, b, c]) t.dispose();
});

Deno.test("backward applies the same mask and scale", async () => {
  const n = 129, p = 0.3, seed = 5, step = 11;
  const x = T.tensor(randomArray(n, 1), [n], { requiresGrad: true });
  const g = randomArray(n, 2);
  const y = dropout(x, p, seed, step);
  T.backward(y, { grad: T.tensor(g, [n]) });
  assertClose(await x.grad!.toArray(), dropoutReference(g, p, seed, step), { atol: 0, rtol: 0 });
  x.grad!.dispose();
  x.dispose();
  y.dispose();
  await gradcheck((t) => dropout(t, 0.4, 3, 1), [{ data: randomArray(33, 3), shape: [3, 11] }]);
});

Deno.test("p = 0 and evaluation mode are the identity, gradient included", async () => {
  const data = randomArray(7 * 5, 4);
  const x = T.tensor(data, [7, 5], { requiresGrad: true });
  for (const y of [dropout(x, 0, 1, 0), dropout(x, 0.5, 1, 0, { training: false })]) {
    assertClose(await y.toArray(), data, { atol: 0, rtol: 0 });
    T.backward(T.tidy(() => T.sumAll(y)));
    assertClose(await x.grad!.toArray(), new Float32Array(35).fill(1), { atol: 0 });
    x.grad!.dispose();
    x.grad = null;
    y.dispose();
  }
  x.dispose();
});

Deno.test("dropout reads strided views and offsets", async () => {
  const data = randomArray(6 * 4, 5);
  const base = T.tensor(data, [6, 4]);
  const y = T.tidy(() => dropout(T.transpose(base), 0.5, 3, 2));
  const dense = await T.tidy(() => T.contiguous(T.transpose(base))).toArray();
  assertClose(await y.toArray(), dropoutReference(dense, 0.5, 3, 2), { atol: 0, rtol: 0 });
  const rows = T.tidy(() => dropout(T.slice(base, 0, 2, 5), 0.5, 3, 2)); // offset 8
  assertClose(await rows.toArray(), dropoutReference(data.slice(8, 20), 0.5, 3, 2), {
    atol: 0,
    rtol: 0,
  });
  for (const t of [base, y, rows]) t.dispose();
});

Deno.test("dropout rejects bad arguments with one clear line", () => {
  const x = T.tensor([1, 2, 3]);
  const cases: [() => unknown, string][] = [
    [() => dropout(x, 1, 0, 0), "p must be in [0, 1), got 1"],
    [() => dropout(x, -0.1, 0, 0), "p must be in [0, 1), got -0.1"],
    [() => dropout(x, 0.5, -1, 0), "seed must be an integer in [0, 2^32), got -1"],
    [() => dropout(x, 0.5, 0, 1.5), "step must be an integer in [0, 2^32), got 1.5"],
    [() => dropout(T.tensor(new Int32Array([1]), [1]), 0.5, 0, 0), "needs an f32 tensor"],
  ];
  for (const [f, fragment] of cases) {
    let message = "";
    try {
      T.tidy(() => {
        f();
      });
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment)) throw new Error(`expected "${fragment}", got "${message}"`);
  }
  x.dispose();
});
