import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { type SoftmaxKind, softmaxReference } from "../../kernels/softmax.ts";
import { logSoftmax, softmax } from "../../lib/ops/softmax.ts";
import * as T from "../../lib/ops/mod.ts";
import { throws } from "node:assert/strict";

await gpu();

const OPS: Record<SoftmaxKind, (x: T.Tensor) => T.Tensor> = { softmax, logSoftmax };

// Row lengths 1, 7, 33, 129, 1000 and 50257 (GPT-2's vocabulary, longer than 256 lanes × 16
// loads), 384 and 4096 (4-wide loads), many short rows and more rows than one grid dimension.
const SHAPES: number[][] = [
  [1],
  [7],
  [3, 33],
  [5, 129],
  [2, 3, 1000],
  [2, 50257],
  [9, 384],
  [3, 4096],
  [129, 7],
  [70000, 3],
];

Deno.test("softmax and log-softmax match float64 references on awkward shapes", async () => {
  for (const kind of ["softmax", "logSoftmax"] as const) {
    for (const shape of SHAPES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = randomArray(n, n + shape.length, -6, 6);
      const y = T.tidy(() => OPS[kind](T.tensor(data, shape)));
      const expected = softmaxReference(kind, data, shape[shape.length - 1]);
      assertClose(await y.toArray(), expected, {
        atol: 1e-6,
        rtol: 1e-5,
        what: `${kind} [${shape}]`,
      });
      y.dispose();
    }
  }
});

Deno.test("softmax is stable for huge and tiny logits", async () => {
  const data = [1000, 1001, 1002, -1000, -1001, -1002, 88, 89, 90, 0, 0, -3e38];
  for (const kind of ["softmax", "logSoftmax"] as const) {
    const y = T.tidy(() => OPS[kind](T.tensor(data, [4, 3])));
    const out = await y.toArray();
    assertClose(out, softmaxReference(kind, data, 3), { atol: 1e-5, rtol: 1e-5, what: kind });
    y.dispose();
  }
});

Deno.test("softmax reads views: transposed and offset slices", async () => {
  const data = randomArray(6 * 8, 3, -2, 2);
  const x = T.tensor(data, [6, 8]);
  const xt = T.transpose(x); // [8, 6], strided
  const rowsFrom1 = T.slice(x, 0, 1, 6); // dense, offset 8 (vec4-aligned)
  const colsFrom1 = T.slice(x, 1, 1, 5); // strided, offset 1
  const transposed: number[] = [];
  for (let j = 0; j < 8; j++) for (let i = 0; i < 6; i++) transposed.push(data[i * 8 + j]);
  const cols: number[] = [];
  for (let i = 0; i < 6; i++) for (let j = 1; j < 5; j++) cols.push(data[i * 8 + j]);
  const cases: [T.Tensor, number[], number][] = [
    [xt, transposed, 6],
    [rowsFrom1, [...data.slice(8)], 8],
    [colsFrom1, cols, 4],
  ];
  for (const [view, host, n] of cases) {
    const y = softmax(view);
    assertClose(await y.toArray(), softmaxReference("softmax", host, n), { atol: 1e-6 });
    y.dispose();
  }
  for (const t of [x, xt, rowsFrom1, colsFrom1]) t.dispose();
});

Deno.test("softmax and log-softmax backward match finite differences", async () => {
  for (const kind of ["softmax", "logSoftmax"] as const) {
    for (const shape of [[7, 33], [3, 8], [2, 1], [2, 300]]) {
      const n = shape[0] * shape[1];
      await gradcheck(OPS[kind], [{ data: randomArray(n, n, -2, 2), shape }]);
    }
  }
});

Deno.test("softmax backward flows through views and composes with other ops", async () => {
  const data = randomArray(5 * 12, 21, -2, 2);
  await gradcheck((x) => softmax(T.transpose(x)), [{ data, shape: [5, 12] }]);
  await gradcheck((x) => T.mul(logSoftmax(x), softmax(x)), [{ data, shape: [12, 5] }]);
});

Deno.test("softmax rejects bad inputs with one-line errors", () => {
  const ids = T.tensor(new Int32Array([1, 2]), [2]);
  throws(() => softmax(ids), { message: /^softmax: needs an f32 tensor, got i32 [^\n]*$/ });
  const scalar = T.tensor([1], []);
  throws(() => logSoftmax(scalar), {
    message: /^logSoftmax: needs at least one dimension[^\n]*$/,
  });
  const empty = softmax(T.tensor([], [3, 0]));
  if (empty.shape.join() !== "3,0") throw new Error(`shape [${empty.shape}]`);
  for (const t of [ids, scalar, empty]) t.dispose();
});
