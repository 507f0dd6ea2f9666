import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { reduceReference } from "../../kernels/reduce.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

const CASES: [number[], number][] = [
  [[1], 0],
  [[7], 0],
  [[33, 129], 1],
  [[33, 129], 0],
  [[2, 7, 33], 1],
  [[3, 1000], 1], // long rows: one workgroup per output
  [[5000, 3], 0],
];

Deno.test("sum, mean and max match float64 references on awkward shapes", async () => {
  for (const op of ["sum", "mean", "max"] as const) {
    for (const [shape, axis] of CASES) {
      const data = randomArray(shape.reduce((a, b) => a * b, 1), shape.length + axis);
      const y = T.tidy(() => T[op](T.tensor(data, shape), axis));
      const expected = reduceReference(op, data, shape, axis);
      assertClose(await y.toArray(), expected, {
        atol: 1e-5,
        rtol: 1e-5,
        what: `${op} [${shape}] axis ${axis}`,
      });
      y.dispose();
    }
  }
});

Deno.test("keepDim, negative axes and reductions of views", async () => {
  const data = randomArray(6 * 4, 11);
  const x = T.tensor(data, [6, 4]);
  const y = T.sum(T.transpose(x), -1, true); // [4, 1]: column sums
  if (y.shape.join() !== "4,1") throw new Error(`shape [${y.shape}]`);
  const expected = reduceReference("sum", data, [6, 4], 0);
  assertClose(await y.toArray(), expected, { atol: 1e-6 });
  const all = T.sumAll(x);
  assertClose([await all.item()], [data.reduce((a, b) => a + b, 0)], { atol: 1e-5 });
  for (const t of [x, y, all]) t.dispose();
});

Deno.test("reduction backward matches finite differences", async () => {
  for (const op of ["sum", "mean", "max"] as const) {
    await gradcheck((x) => T[op](x, 1), [{ data: randomArray(7 * 33, 4), shape: [7, 33] }]);
    await gradcheck((x) => T[op](x, 0, true), [{ data: randomArray(7 * 5, 5), shape: [7, 5] }]);
  }
  await gradcheck((x) => T.meanAll(x), [{ data: randomArray(129, 6), shape: [129] }]);
  await gradcheck((x) => T.max(x, 1), [{ data: randomArray(3 * 1000, 8), shape: [3, 1000] }]);
});

Deno.test("sumTo folds broadcast dimensions", async () => {
  const data = randomArray(2 * 3 * 4, 3);
  const x = T.tensor(data, [2, 3, 4]);
  const y = T.sumTo(x, [3, 1]);
  const expected = [0, 1, 2].map((j) => {
    let s = 0;
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += data[(i * 3 + j) * 4 + k];
    return s;
  });
  assertClose(await y.toArray(), expected, { atol: 1e-5 });
  x.dispose();
  y.dispose();
});

Deno.test("reductions reject bad axes and dtypes", () => {
  const x = T.tensor([1, 2, 3]);
  let msg = "";
  try {
    T.sum(x, 2);
  } catch (e) {
    msg = (e as Error).message;
  }
  if (!msg.includes("out of range")) throw new Error(msg);
  x.dispose();
});
