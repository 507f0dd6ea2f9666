import { throws } from "node:assert/strict";
import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { embeddingBackwardReference, embeddingReference } from "../../kernels/embedding.ts";
import { embedding } from "../../lib/ops/embedding.ts";
import * as T from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

await gpu();

function randomIds(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}

function idTensor(ids: Int32Array, shape = [ids.length]): T.Tensor {
  return T.tensor(ids, shape, { dtype: "i32" });
}

/** dWeight through autograd for `g` flowing into embedding(weight, ids). */
async function weightGrad(
  vocab: number,
  dim: number,
  ids: Int32Array,
  g: Float32Array,
): Promise<Float32Array> {
  const w = T.zeros([vocab, dim], { requiresGrad: true });
  const i = idTensor(ids);
  T.backward(embedding(w, i), { grad: T.tensor(g, [ids.length, dim]) });
  const out = await w.grad!.toArray() as Float32Array;
  for (const t of [w, w.grad!, i]) t.dispose();
  return out;
}

/** The f32 sum of each id's gradient rows in increasing position order. */
function sequentialSums(g: Float32Array, dim: number, ids: Int32Array, vocab: number) {
  const dw = new Float32Array(vocab * dim);
  for (let i = 0; i < ids.length; i++) {
    for (let j = 0; j < dim; j++) {
      dw[ids[i] * dim + j] = Math.fround(dw[ids[i] * dim + j] + g[i * dim + j]);
    }
  }
  return dw;
}

Deno.test("embedding forward picks rows, any id shape, any width", async () => {
  const cases: [number, number, number[]][] = [
    [1, 1, [1]],
    [7, 33, [5]],
    [256, 384, [4, 129]],
    [300, 7, [2, 3]],
    [8192, 12, [70000]],
  ];
  for (const [vocab, dim, idShape] of cases) {
    const n = idShape.reduce((a, b) => a * b, 1);
    const weight = randomArray(vocab * dim, vocab + dim);
    const ids = randomIds(n, vocab, n);
    const y = T.tidy(() => embedding(T.tensor(weight, [vocab, dim]), idTensor(ids, idShape)));
    if (y.shape.join() !== [...idShape, dim].join()) throw new Error(`shape [${y.shape}]`);
    assertClose(await y.toArray(), embeddingReference(weight, dim, ids), {
      atol: 0,
      what: `embedding V=${vocab} D=${dim}`,
    });
    y.dispose();
  }
});

Deno.test("embedding: ids outside the table give NaN rows, skipped by backward", async () => {
  const w = T.tensor(randomArray(3 * 4, 1), [3, 4], { requiresGrad: true });
  const ids = idTensor(Int32Array.from([0, 3, -1, 2]));
  const y = embedding(w, ids);
  const out = await y.toArray();
  if (!out.slice(4, 12).every(Number.isNaN) || out.slice(0, 4).some(Number.isNaN)) {
    throw new Error(`unexpected rows ${out}`);
  }
  T.backward(y, { grad: T.ones([4, 4]) });
  assertClose(await w.grad!.toArray(), [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], { atol: 0 });
  for (const t of [w, w.grad!, ids, y]) t.dispose();
});

Deno.test("embedding backward sums each id's rows in position order, bitwise", async () => {
  const cases: [number, number, number][] = [
    [7, 33, 5], // fewer positions than one chunk
    [256, 384, 1000], // byte-level GPT shape, chunks of 256 positions + a partial one
    [8192, 8, 3000], // BPE-sized vocabulary, most ids absent
    [1, 5, 700], // one id everywhere: one bucket across all chunks
    [300, 7, 513],
    [70000, 4, 1000], // 70000 weight rows: the summing launch folds past 65535 workgroups
  ];
  for (const [vocab, dim, n] of cases) {
    const ids = randomIds(n, vocab, vocab + n);
    const g = randomArray(n * dim, n, -1, 1);
    const got = await weightGrad(vocab, dim, ids, g);
    const expected = sequentialSums(g, dim, ids, vocab);
    const mismatch = got.findIndex((v, k) => !Object.is(v, expected[k]));
    if (mismatch >= 0) {
      throw new Error(
        `V=${vocab} D=${dim} N=${n}: dW[${mismatch}] = ${got[mismatch]}, ` +
          `expected ${expected[mismatch]} (f32 sum in position order)`,
      );
    }
    assertClose(got, embeddingBackwardReference(g, dim, ids, vocab), {
      atol: 1e-5,
      what: `float64 reference V=${vocab} D=${dim}`,
    });
  }
});

Deno.test("embedding backward is reproducible when ids repeat heavily", async () => {
  const vocab = 256, dim = 64, n = 16384;
  const rng = new Rng(3);
  // Skewed like text: a few ids take most positions.
  const ids = Int32Array.from({ length: n }, () => Math.floor(vocab * rng.uniform() ** 4));
  const g = randomArray(n * dim, 4);
  const first = await weightGrad(vocab, dim, ids, g);
  const second = await weightGrad(vocab, dim, ids, g);
  if (!first.every((v, k) => Object.is(v, second[k]))) throw new Error("runs differ");
});

Deno.test("embedding backward matches finite differences through a view of the ids", async () => {
  const ids = idTensor(Int32Array.from([2, 0, 2, 4, 1, 2]), [2, 3]);
  const idsT = T.transpose(ids); // strided ids
  const data = randomArray(5 * 4, 1);
  await gradcheck((w) => embedding(w, idsT), [{ data, shape: [5, 4] }]);
  await gradcheck((w) => T.mul(embedding(w, ids), embedding(w, ids)), [{ data, shape: [5, 4] }]);
  for (const t of [ids, idsT]) t.dispose();
});

Deno.test("embedding rejects bad inputs with one-line errors", () => {
  const w = T.tensor(randomArray(12, 1), [3, 4]);
  const ids = idTensor(Int32Array.from([0, 1]));
  throws(() => embedding(w, T.tensor([0, 1])), {
    message: /^embedding: ids must be an i32 tensor of row indices, got f32 [^\n]*$/,
  });
  throws(() => embedding(T.tensor([1, 2, 3]), ids), {
    message: "embedding: weight has shape [3], expected [V, D]",
  });
  throws(() => embedding(ids, ids), { message: /^embedding: weight must be f32, got i32/ });
  for (const t of [w, ids]) t.dispose();
});
