import { throws } from "node:assert/strict";
import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { layerNormBackwardReference, layerNormReference } from "../../kernels/layernorm.ts";
import { layerNorm } from "../../lib/ops/layernorm.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

const SHAPES: number[][] = [
  [1],
  [7],
  [3, 33],
  [5, 129],
  [2, 3, 1000],
  [2, 50257],
  [9, 384],
  [129, 7],
  [70000, 3],
];

Deno.test("layerNorm matches the float64 reference with and without weight and bias", async () => {
  for (const shape of SHAPES) {
    const size = shape.reduce((a, b) => a * b, 1);
    const n = shape[shape.length - 1];
    const x = randomArray(size, size, -3, 5);
    const w = randomArray(n, 1, 0.5, 1.5);
    const b = randomArray(n, 2);
    for (const affine of ["none", "weight", "both"] as const) {
      const y = T.tidy(() =>
        layerNorm(
          T.tensor(x, shape),
          affine === "none" ? null : T.tensor(w),
          affine === "both" ? T.tensor(b) : null,
        )
      );
      const expected = layerNormReference(
        x,
        n,
        affine === "none" ? undefined : w,
        affine === "both" ? b : undefined,
      );
      // A row of a few values can have a tiny spread, where f32's x − mean keeps few digits
      // (PyTorch's f32 layer_norm too): those rows get a looser absolute tolerance.
      assertClose(await y.toArray(), expected, {
        atol: n < 33 ? 2e-4 : 2e-5,
        rtol: 1e-5,
        what: `layerNorm [${shape}] ${affine}`,
      });
      y.dispose();
    }
  }
});

Deno.test("layerNorm honours eps and reads strided views", async () => {
  const data = randomArray(6 * 8, 5, -1, 1);
  const x = T.tensor(data, [6, 8]);
  const xt = T.transpose(x); // [8, 6]
  const y = layerNorm(xt, null, null, 0.5);
  const host: number[] = [];
  for (let j = 0; j < 8; j++) for (let i = 0; i < 6; i++) host.push(data[i * 8 + j]);
  assertClose(await y.toArray(), layerNormReference(host, 6, undefined, undefined, 0.5), {
    atol: 1e-6,
  });
  for (const t of [x, xt, y]) t.dispose();
});

Deno.test("layerNorm backward matches finite differences", async () => {
  for (const [rows, n] of [[7, 33], [4, 8], [3, 1], [2, 300]]) {
    const x = { data: randomArray(rows * n, rows + n, -2, 2), shape: [rows, n] };
    const w = { data: randomArray(n, 3, 0.5, 1.5), shape: [n] };
    const b = { data: randomArray(n, 4), shape: [n] };
    await gradcheck((x, w, b) => layerNorm(x, w, b), [x, w, b], { atol: 4e-3 });
    await gradcheck((x) => layerNorm(x), [x], { atol: 4e-3 });
    await gradcheck((x, w) => layerNorm(x, w), [x, w], { atol: 4e-3 });
  }
});

Deno.test("layerNorm gradients over many rows equal the reference (two-stage sums)", async () => {
  for (const [rows, n] of [[300, 384], [1000, 7], [16, 12]]) {
    const xs = randomArray(rows * n, 9, -2, 2), gs = randomArray(rows * n, 10);
    const ws = randomArray(n, 11, 0.5, 1.5), bs = randomArray(n, 12);
    const x = T.tensor(xs, [rows, n], { requiresGrad: true });
    const w = T.tensor(ws, [n], { requiresGrad: true });
    const b = T.tensor(bs, [n], { requiresGrad: true });
    const g = T.tensor(gs, [rows, n]);
    T.backward(layerNorm(x, w, b), { grad: g });
    const ref = layerNormBackwardReference(xs, gs, n, ws);
    assertClose(await x.grad!.toArray(), ref.dx, { atol: 1e-4, rtol: 1e-4, what: "dx" });
    assertClose(await w.grad!.toArray(), ref.dweight, { atol: 1e-3, rtol: 1e-4, what: "dw" });
    assertClose(await b.grad!.toArray(), ref.dbias, { atol: 1e-3, rtol: 1e-4, what: "db" });
    for (const t of [x, w, b, g, x.grad!, w.grad!, b.grad!]) t.dispose();
  }
});

Deno.test("layerNorm gradients are bitwise reproducible", async () => {
  const rows = 700, n = 36;
  const xs = randomArray(rows * n, 13, -2, 2), gs = randomArray(rows * n, 14);
  const run = async () => {
    const x = T.tensor(xs, [rows, n], { requiresGrad: true });
    const w = T.ones([n], { requiresGrad: true });
    const b = T.zeros([n], { requiresGrad: true });
    const g = T.tensor(gs, [rows, n]);
    T.backward(layerNorm(x, w, b), { grad: g });
    const out = [await x.grad!.toArray(), await w.grad!.toArray(), await b.grad!.toArray()];
    for (const t of [x, w, b, g, x.grad!, w.grad!, b.grad!]) t.dispose();
    return out;
  };
  const first = await run(), second = await run();
  first.forEach((a, k) => {
    if (!a.every((v, i) => Object.is(v, second[k][i]))) throw new Error(`gradient ${k} differs`);
  });
});

Deno.test("layerNorm rejects bad inputs with one-line errors", () => {
  const x = T.tensor(randomArray(2 * 33, 1), [2, 33]);
  const w7 = T.ones([7]);
  const ids = T.tensor(new Int32Array(33), [33], { dtype: "i32" });
  throws(() => layerNorm(x, w7), {
    message: "layerNorm: weight has shape [7], expected [33] (the last dimension of x)",
  });
  throws(() => layerNorm(x, null, w7), {
    message: "layerNorm: bias has shape [7], expected [33] (the last dimension of x)",
  });
  throws(() => layerNorm(x, ids), { message: /^layerNorm: weight must be f32, got i32 [^\n]*$/ });
  throws(() => layerNorm(ids), { message: /^layerNorm: x must be f32, got i32 [^\n]*$/ });
  throws(() => layerNorm(x, null, null, -1), {
    message: "layerNorm: eps must be a finite number ≥ 0, got -1",
  });
  for (const t of [x, w7, ids]) t.dispose();
});
