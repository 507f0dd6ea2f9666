import { throws } from "node:assert/strict";
import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { crossEntropyReference, mseLossReference } from "../../kernels/loss.ts";
import { crossEntropy, mseLoss } from "../../lib/ops/loss.ts";
import * as T from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

await gpu();

/** Seeded class indices in [0, classes), with every `ignoreEvery`-th row set to `ignore`. */
function randomTargets(
  rows: number,
  classes: number,
  seed: number,
  ignoreEvery = 0,
  ignore = -100,
) {
  const rng = new Rng(seed);
  return Int32Array.from(
    { length: rows },
    (_, r) => (ignoreEvery > 0 && r % ignoreEvery === 0 ? ignore : rng.int(classes)),
  );
}

function ids(data: Int32Array, shape = [data.length]): T.Tensor {
  return T.tensor(data, shape, { dtype: "i32" });
}

async function lossOf(
  logits: Float32Array,
  shape: number[],
  targets: Int32Array,
  targetShape = [targets.length],
  ignoreIndex?: number,
): Promise<number> {
  const loss = T.tidy(() =>
    crossEntropy(T.tensor(logits, shape), ids(targets, targetShape), { ignoreIndex })
  );
  const value = await loss.item();
  loss.dispose();
  return value;
}

Deno.test("cross-entropy matches the float64 reference on awkward shapes", async () => {
  const cases: number[][] = [
    [1, 1],
    [7, 7],
    [33, 129],
    [5, 1000],
    [3, 50257],
    [64, 256],
    [70000, 3],
  ];
  for (const [rows, classes] of cases) {
    const logits = randomArray(rows * classes, rows + classes, -8, 8);
    const targets = randomTargets(rows, classes, classes, 5);
    const got = await lossOf(logits, [rows, classes], targets);
    const expected = crossEntropyReference(logits, classes, targets);
    assertClose([got], [expected], { atol: 1e-5, rtol: 1e-5, what: `[${rows}, ${classes}]` });
  }
});

Deno.test("cross-entropy takes [..., C] logits, targets shaped [...] or flat", async () => {
  const logits = randomArray(2 * 3 * 7, 4, -3, 3);
  const targets = randomTargets(6, 7, 5);
  const expected = crossEntropyReference(logits, 7, targets);
  assertClose([await lossOf(logits, [2, 3, 7], targets, [2, 3])], [expected], { atol: 1e-6 });
  assertClose([await lossOf(logits, [2, 3, 7], targets, [6])], [expected], { atol: 1e-6 });
});

Deno.test("cross-entropy follows PyTorch: mean over targets that are not ignored", async () => {
  // log(e^2 + 2) - 2 and log(e^3 + 2) - 3, the third row ignored: what F.cross_entropy gives.
  const logits = Float32Array.from([2, 0, 0, 0, 3, 0, 5, 5, 5]);
  const expected = (Math.log(Math.exp(2) + 2) - 2 + Math.log(Math.exp(3) + 2) - 3) / 2;
  const got = await lossOf(logits, [3, 3], Int32Array.from([0, 1, -100]));
  assertClose([got], [expected], { atol: 1e-6 });
  // A custom ignore index; -100 is then an ordinary (out-of-range) target.
  const custom = await lossOf(logits, [3, 3], Int32Array.from([0, 1, 2]), [3], 2);
  assertClose([custom], [expected], { atol: 1e-6 });
});

Deno.test("cross-entropy with every row ignored is 0 with a zero gradient", async () => {
  const x = T.tensor(randomArray(4 * 5, 1), [4, 5], { requiresGrad: true });
  const t = ids(Int32Array.from([-100, -100, -100, -100]));
  const loss = crossEntropy(x, t);
  T.backward(loss);
  assertClose([await loss.item()], [0], { atol: 0 });
  assertClose(await x.grad!.toArray(), new Float32Array(20), { atol: 0 });
  for (const u of [x, x.grad!, t, loss]) u.dispose();
});

Deno.test("cross-entropy with an out-of-range target is NaN, loss and gradient", async () => {
  const x = T.tensor(randomArray(2 * 5, 1), [2, 5], { requiresGrad: true });
  const t = ids(Int32Array.from([1, 5]));
  const loss = crossEntropy(x, t);
  T.backward(loss);
  if (!Number.isNaN(await loss.item())) throw new Error("expected a NaN loss");
  const grad = await x.grad!.toArray();
  if (!grad.slice(5).every(Number.isNaN)) throw new Error(`bad row's gradient: ${grad}`);
  for (const u of [x, x.grad!, t, loss]) u.dispose();
});

Deno.test("cross-entropy backward matches finite differences, ignored rows included", async () => {
  for (const [rows, classes] of [[7, 33], [6, 8], [3, 1], [2, 300]]) {
    const targets = ids(randomTargets(rows, classes, rows, 3));
    const data = randomArray(rows * classes, classes, -3, 3);
    await gradcheck((x) => crossEntropy(x, targets), [{ data, shape: [rows, classes] }]);
    targets.dispose();
  }
});

Deno.test("cross-entropy gradient of a large batch equals (softmax - onehot) / count", async () => {
  const rows = 300, classes = 256;
  const data = randomArray(rows * classes, 77, -5, 5);
  const targets = randomTargets(rows, classes, 78, 4);
  const x = T.tensor(data, [rows, classes], { requiresGrad: true });
  const t = ids(targets);
  T.backward(crossEntropy(x, t));
  const count = targets.filter((v) => v !== -100).length;
  const expected = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    if (targets[r] === -100) continue;
    const row = data.subarray(r * classes, (r + 1) * classes);
    const m = Math.max(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    for (let j = 0; j < classes; j++) {
      expected[r * classes + j] = (Math.exp(row[j] - m) / s - (j === targets[r] ? 1 : 0)) / count;
    }
  }
  assertClose(await x.grad!.toArray(), expected, { atol: 1e-7, rtol: 1e-4 });
  for (const u of [x, x.grad!, t]) u.dispose();
});

Deno.test("cross-entropy rejects bad inputs with one-line errors", () => {
  const logits = T.tensor(randomArray(12, 1), [4, 3]);
  const good = ids(Int32Array.from([0, 1, 2, 0]));
  const cases: [() => unknown, RegExp][] = [
    [() => crossEntropy(logits, T.tensor([0, 1, 2, 0])), /targets must be an i32 tensor/],
    [() => crossEntropy(logits, ids(Int32Array.from([0, 1, 2]))), /targets have shape \[3\]/],
    [() => crossEntropy(good, good), /logits must be f32/],
    [() => crossEntropy(T.tensor([], [4, 0]), good), /expected \[\.\.\., C\] with C ≥ 1/],
    [() => crossEntropy(logits, good, { ignoreIndex: 0.5 }), /ignoreIndex must be a 32-bit/],
  ];
  for (const [f, pattern] of cases) {
    throws(f, (e: Error) =>
      pattern.test(e.message) && e.message.startsWith("crossEntropy: ") &&
      !e.message.includes("\n"));
  }
  logits.dispose();
  good.dispose();
});

Deno.test("mseLoss matches the float64 reference, one and two stages", async () => {
  for (const shape of [[1], [10], [7, 33], [129, 129], [300001]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = randomArray(n, n, -2, 2), b = randomArray(n, n + 1, -2, 2);
    const loss = T.tidy(() => mseLoss(T.tensor(a, shape), T.tensor(b, shape)));
    if (loss.rank !== 0) throw new Error(`loss shape [${loss.shape}]`);
    assertClose([await loss.item()], [mseLossReference(a, b)], { rtol: 1e-5, what: `[${shape}]` });
    loss.dispose();
  }
});

Deno.test("mseLoss backward matches finite differences for both inputs", async () => {
  await gradcheck(mseLoss, [
    { data: randomArray(7 * 5, 1), shape: [7, 5] },
    { data: randomArray(7 * 5, 2), shape: [7, 5] },
  ]);
  await gradcheck((p) => mseLoss(T.transpose(p), T.ones([3, 10])), [
    { data: randomArray(30, 3), shape: [10, 3] },
  ]);
});

Deno.test("mseLoss rejects bad inputs with one-line errors", () => {
  const a = T.tensor([1, 2, 3]);
  throws(() => mseLoss(a, T.tensor([1, 2])), {
    message: "mseLoss: target has shape [2], expected [3] (the shape of pred)",
  });
  throws(() => mseLoss(a, ids(Int32Array.from([1, 2, 3]))), {
    message: /^mseLoss: target must be f32, got i32 [^\n]*$/,
  });
  a.dispose();
});
