import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { binaryReference, type UnaryOp, unaryReference } from "../../kernels/elementwise.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

const SHAPES: number[][] = [[1], [7], [33], [129], [3, 5], [2, 7, 33]];
const UNARY: UnaryOp[] = ["neg", "exp", "log", "sqrt", "tanh", "relu", "gelu"];
const positive = (op: UnaryOp) => op === "log" || op === "sqrt";

Deno.test("unary ops match float64 references on awkward shapes", async () => {
  for (const op of UNARY) {
    for (const shape of SHAPES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = randomArray(n, n, positive(op) ? 0.1 : -4, 4);
      const y = T.tidy(() =>
        (T as unknown as Record<string, (x: T.Tensor) => T.Tensor>)[op](T.tensor(data, shape))
      );
      assertClose(await y.toArray(), unaryReference(op, data), {
        atol: 2e-6,
        rtol: 2e-6,
        what: `${op} [${shape}]`,
      });
      y.dispose();
    }
  }
});

Deno.test("tanh saturates without NaN for large inputs", async () => {
  const y = T.tanh(T.tensor([-1000, -30, 30, 1000]));
  assertClose(await y.toArray(), [-1, -1, 1, 1], { atol: 0 });
  y.dispose();
});

const BROADCAST: [number[], number[]][] = [
  [[7], [7]],
  [[33, 1], [1, 129]],
  [[2, 7, 33], [33]],
  [[5, 1, 3], [4, 1]],
  [[1], [129]],
];

Deno.test("binary ops broadcast like NumPy", async () => {
  const ops = {
    add: (a: number, b: number) => a + b,
    sub: (a: number, b: number) => a - b,
    mul: (a: number, b: number) => a * b,
    div: (a: number, b: number) => a / b,
  };
  for (const [name, f] of Object.entries(ops)) {
    for (const [sa, sb] of BROADCAST) {
      const a = randomArray(sa.reduce((p, d) => p * d, 1), 1);
      const b = randomArray(sb.reduce((p, d) => p * d, 1), 2, 0.5, 2);
      const y = T.tidy(() =>
        (T as unknown as Record<string, (a: T.Tensor, b: T.Tensor) => T.Tensor>)[name](
          T.tensor(a, sa),
          T.tensor(b, sb),
        )
      );
      const ref = binaryReference(f, a, sa, b, sb);
      if (y.shape.join() !== ref.shape.join()) {
        throw new Error(`${name}: shape [${y.shape}] vs [${ref.shape}]`);
      }
      assertClose(await y.toArray(), ref.values, {
        atol: 1e-6,
        rtol: 1e-6,
        what: `${name} [${sa}] [${sb}]`,
      });
      y.dispose();
    }
  }
});

Deno.test("ops read views (transposed, sliced, broadcast) without copies", async () => {
  const x = T.tensor(randomArray(6 * 7, 3), [6, 7]);
  const xt = T.transpose(x);
  const s = T.slice(xt, 1, 2, 5); // [7, 3]
  const y = T.exp(s);
  const host = await x.toArray();
  const expected: number[] = [];
  for (let i = 0; i < 7; i++) for (let j = 2; j < 5; j++) expected.push(Math.exp(host[j * 7 + i]));
  assertClose(await y.toArray(), expected, { rtol: 1e-6 });
  for (const t of [x, xt, s, y]) t.dispose();
});

Deno.test("unary backward matches finite differences", async () => {
  for (const op of UNARY) {
    const f = (T as unknown as Record<string, (x: T.Tensor) => T.Tensor>)[op];
    const data = randomArray(33, 5, positive(op) ? 0.5 : -2, 2);
    await gradcheck(f, [{ data, shape: [33] }]);
  }
});

Deno.test("binary backward with broadcasting matches finite differences", async () => {
  for (const name of ["add", "sub", "mul", "div"]) {
    const f = (T as unknown as Record<string, (a: T.Tensor, b: T.Tensor) => T.Tensor>)[name];
    await gradcheck(f, [
      { data: randomArray(7 * 5, 1), shape: [7, 5] },
      { data: randomArray(5, 2, 0.5, 2), shape: [5] },
    ]);
  }
});

Deno.test("scalar ops and their gradients", async () => {
  const data = randomArray(7, 9, 0.5, 2);
  const y = T.powScalar(T.tensor([-2, 3]), 3);
  assertClose(await y.toArray(), [-8, 27]);
  y.dispose();
  await gradcheck((x) => T.scale(x, -2.5), [{ data, shape: [7] }]);
  await gradcheck((x) => T.addScalar(x, 3), [{ data, shape: [7] }]);
  await gradcheck((x) => T.powScalar(x, 1.5), [{ data, shape: [7] }]);
});

Deno.test("shape mismatch and disposed tensors raise clear errors", () => {
  const a = T.tensor([1, 2, 3]);
  const b = T.tensor([1, 2]);
  let message = "";
  try {
    T.add(a, b);
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("do not broadcast")) throw new Error(`unexpected: ${message}`);
  a.dispose();
  try {
    T.exp(a);
    message = "";
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("disposed")) throw new Error(`unexpected: ${message}`);
  const i = T.tensor(new Int32Array([1, 2]), [2]);
  try {
    T.exp(i);
    message = "";
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("f32")) throw new Error(`unexpected: ${message}`);
  b.dispose();
  i.dispose();
});
