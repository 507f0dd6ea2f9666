import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import {
  conv2d,
  conv2dBackwardReference,
  type Conv2dConnections,
  type Conv2dOptions,
  conv2dReference,
} from "../../kernels/conv2d.ts";
import * as T from "../../lib/tensor/mod.ts";

const runtime = await gpu();

type BiasKind = "none" | "map" | "unit";

interface Case {
  x: number[];
  w: number[];
  bias: BiasKind;
  options: Conv2dOptions;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** H2 of LeCun et al. 1989: maps 0-3 see H1 0-7, 4-7 see 4-11, 8-11 see 0-3 and 8-11. */
const H2_CONNECTIONS: Conv2dConnections = Array.from(
  { length: 12 },
  (_, o) =>
    Array.from({ length: 12 }, (_, c) => {
      if (o < 4) return c < 8;
      if (o < 8) return c >= 4;
      return c < 4 || c >= 8;
    }),
);

function randomConnections(cout: number, cin: number, seed: number): number[][] {
  const bits = randomArray(cout * cin, seed, 0, 1);
  return Array.from(
    { length: cout },
    (_, o) => Array.from({ length: cin }, (_, c) => (bits[o * cin + c] < 0.6 ? 1 : 0)),
  );
}

const CASES: Case[] = [
  { x: [1, 1, 7, 7], w: [1, 1, 1, 1], bias: "none", options: {} },
  { x: [2, 3, 7, 9], w: [5, 3, 3, 3], bias: "map", options: { padding: 1 } },
  {
    x: [2, 3, 9, 7],
    w: [5, 3, 3, 3],
    bias: "unit",
    options: { stride: 2, padding: 1, padValue: -1 },
  },
  {
    x: [1, 4, 33, 17],
    w: [7, 4, 5, 5],
    bias: "map",
    options: { stride: 2, padding: 2, padValue: -1 },
  },
  { x: [3, 2, 6, 5], w: [6, 2, 5, 5], bias: "unit", options: { padding: 2 } },
  { x: [2, 6, 7, 7], w: [9, 2, 3, 3], bias: "map", options: { groups: 3, stride: 2, padding: 1 } },
  {
    x: [1, 5, 8, 8],
    w: [7, 5, 3, 3],
    bias: "map",
    options: { padding: 1, padValue: -1, connections: randomConnections(7, 5, 3) },
  },
  { x: [1, 3, 5, 5], w: [129, 3, 1, 1], bias: "map", options: {} },
  { x: [2, 2, 9, 8], w: [3, 2, 5, 3], bias: "none", options: { stride: [1, 2], padding: [2, 0] } },
  // From here on N·Hout >= 32: the weight gradient reduces in a workgroup per tile.
  { x: [4, 2, 20, 20], w: [3, 2, 3, 3], bias: "map", options: { padding: 1, padValue: -1 } },
  {
    x: [8, 6, 9, 9],
    w: [6, 3, 3, 3],
    bias: "unit",
    options: { groups: 2, stride: 2, padding: 1, connections: randomConnections(6, 3, 9) },
  },
  { x: [3, 4, 11, 12], w: [5, 4, 3, 5], bias: "map", options: { padding: [1, 2], padValue: -1 } },
];

function biasShape(c: Case, out: readonly number[]): number[] | null {
  if (c.bias === "map") return [c.w[0]];
  if (c.bias === "unit") return [out[1], out[2], out[3]];
  return null;
}

function describe(c: Case): string {
  const o = { ...c.options, connections: c.options.connections ? "mask" : undefined };
  return `x [${c.x}] w [${c.w}] bias ${c.bias} ${JSON.stringify(o)}`;
}

Deno.test("conv2d forward matches the float64 reference on awkward shapes", async () => {
  for (const [i, c] of CASES.entries()) {
    const x = randomArray(size(c.x), 10 + i);
    const w = randomArray(size(c.w), 20 + i);
    const probe = conv2dReference(x, c.x, w, c.w, null, null, c.options);
    const bShape = biasShape(c, probe.shape);
    const b = bShape ? randomArray(size(bShape), 30 + i) : null;
    const expected = conv2dReference(x, c.x, w, c.w, b, bShape, c.options);
    const y = T.tidy(() =>
      conv2d(
        T.tensor(x, c.x),
        T.tensor(w, c.w),
        b && bShape ? T.tensor(b, bShape) : null,
        c.options,
      )
    );
    if (y.shape.join() !== expected.shape.join()) {
      throw new Error(`${describe(c)}: shape [${y.shape}], expected [${expected.shape}]`);
    }
    assertClose(await y.toArray(), expected.values, {
      atol: 2e-5,
      rtol: 1e-5,
      what: describe(c),
    });
    y.dispose();
  }
});

Deno.test("conv2d backward matches the float64 reference (dx, dweight, dbias)", async () => {
  for (const [i, c] of CASES.entries()) {
    const x = randomArray(size(c.x), 40 + i);
    const w = randomArray(size(c.w), 50 + i);
    const outShape = conv2dReference(x, c.x, w, c.w, null, null, c.options).shape;
    const bShape = biasShape(c, outShape);
    const g = randomArray(size(outShape), 60 + i);
    const expected = conv2dBackwardReference(x, c.x, w, c.w, bShape, g, c.options);
    const xt = T.tensor(x, c.x, { requiresGrad: true });
    const wt = T.tensor(w, c.w, { requiresGrad: true });
    const bt = bShape
      ? T.tensor(randomArray(size(bShape), 1), bShape, { requiresGrad: true })
      : null;
    const gt = T.tensor(g, outShape);
    const y = conv2d(xt, wt, bt, c.options);
    T.backward(y, { grad: gt });
    const tol = { atol: 5e-5, rtol: 1e-5 };
    assertClose(await xt.grad!.toArray(), expected.dx, { ...tol, what: `dx ${describe(c)}` });
    assertClose(await wt.grad!.toArray(), expected.dweight, {
      ...tol,
      what: `dweight ${describe(c)}`,
    });
    if (bt) {
      assertClose(await bt.grad!.toArray(), expected.dbias!, {
        ...tol,
        what: `dbias ${describe(c)}`,
      });
    }
    for (const t of [xt, wt, bt, gt, y]) {
      t?.grad?.dispose();
      t?.dispose();
    }
  }
});

Deno.test("conv2d backward matches finite differences", async () => {
  const masked: Conv2dOptions = {
    stride: 2,
    padding: 2,
    padValue: -1,
    connections: randomConnections(5, 3, 8),
  };
  await gradcheck((x, w, b) => conv2d(x, w, b, masked), [
    { data: randomArray(2 * 3 * 7 * 7, 1), shape: [2, 3, 7, 7] },
    { data: randomArray(5 * 3 * 5 * 5, 2), shape: [5, 3, 5, 5] },
    { data: randomArray(5 * 4 * 4, 3), shape: [5, 4, 4] },
  ]);
  await gradcheck((x, w, b) => conv2d(x, w, b, { padding: 1, groups: 2 }), [
    { data: randomArray(1 * 4 * 5 * 6, 4), shape: [1, 4, 5, 6] },
    { data: randomArray(6 * 2 * 3 * 3, 5), shape: [6, 2, 3, 3] },
    { data: randomArray(6, 6), shape: [6] },
  ]);
});

Deno.test("conv2d reads strided views of x", async () => {
  const data = randomArray(2 * 3 * 6 * 5, 70);
  const w = randomArray(4 * 3 * 3 * 3, 71);
  const base = T.tensor(data, [2, 6, 3, 5]); // x viewed as [2, 3, 6, 5] through a transpose
  const y = T.tidy(() =>
    conv2d(T.transpose(base, 1, 2), T.tensor(w, [4, 3, 3, 3]), null, {
      padding: 1,
    })
  );
  const dense = Float32Array.from(
    await T.tidy(() => T.contiguous(T.transpose(base, 1, 2))).toArray(),
  );
  const expected = conv2dReference(dense, [2, 3, 6, 5], w, [4, 3, 3, 3], null, null, {
    padding: 1,
  });
  assertClose(await y.toArray(), expected.values, { atol: 2e-5, rtol: 1e-5 });
  base.dispose();
  y.dispose();
});

Deno.test("conv2d reads tensors that start at an offset in their storage", async () => {
  const options: Conv2dOptions = { stride: 2, padding: 1, padValue: -1 };
  const xAll = randomArray(3 * 2 * 7 * 7, 72);
  const wAll = randomArray(2 * 3 * 2 * 3 * 3, 73);
  const bAll = randomArray(9, 74);
  const xBase = T.tensor(xAll, [3, 2, 7, 7], { requiresGrad: true });
  const wBase = T.tensor(wAll, [6, 2, 3, 3], { requiresGrad: true });
  const bBase = T.tensor(bAll, [9], { requiresGrad: true });
  const y = T.tidy(() =>
    conv2d(T.slice(xBase, 0, 1, 3), T.slice(wBase, 0, 3, 6), T.slice(bBase, 0, 5, 8), options)
  );
  const x = xAll.slice(98), w = wAll.slice(54), b = bAll.slice(5, 8);
  const expected = conv2dReference(x, [2, 2, 7, 7], w, [3, 2, 3, 3], b, [3], options);
  assertClose(await y.toArray(), expected.values, { atol: 2e-5, rtol: 1e-5, what: "forward" });
  const g = randomArray(y.size, 75);
  T.backward(y, { grad: T.tensor(g, y.shape) });
  const grads = conv2dBackwardReference(x, [2, 2, 7, 7], w, [3, 2, 3, 3], [3], g, options);
  const pad = (values: Float64Array, before: number, total: number) => {
    const out = new Float64Array(total);
    out.set(values, before);
    return out;
  };
  const tol = { atol: 5e-5, rtol: 1e-5 };
  assertClose(await xBase.grad!.toArray(), pad(grads.dx, 98, 294), { ...tol, what: "dx" });
  assertClose(await wBase.grad!.toArray(), pad(grads.dweight, 54, 108), { ...tol, what: "dw" });
  assertClose(await bBase.grad!.toArray(), pad(grads.dbias!, 5, 9), { ...tol, what: "db" });
  for (const t of [xBase, wBase, bBase, y]) {
    t.grad?.dispose();
    t.dispose();
  }
});

Deno.test("LeCun 1989 geometry: 1x16x16 -> 12x8x8 -> 12x4x4 with -1 padding and H2's table", async () => {
  const batch = 3;
  const x = randomArray(batch * 16 * 16, 80);
  const w1 = randomArray(12 * 25, 81, -2.4 / 5, 2.4 / 5);
  const b1 = randomArray(12 * 64, 82, -0.1, 0.1);
  const w2 = randomArray(12 * 12 * 25, 83, -2.4 / Math.sqrt(200), 2.4 / Math.sqrt(200));
  const b2 = randomArray(12 * 16, 84, -0.1, 0.1);
  const h1Options: Conv2dOptions = { stride: 2, padding: 2, padValue: -1 };
  const h2Options: Conv2dOptions = { ...h1Options, connections: H2_CONNECTIONS };

  const r1 = conv2dReference(x, [batch, 1, 16, 16], w1, [12, 1, 5, 5], b1, [12, 8, 8], h1Options);
  const a1 = Float64Array.from(r1.values, Math.tanh);
  const r2 = conv2dReference(a1, r1.shape, w2, [12, 12, 5, 5], b2, [12, 4, 4], h2Options);
  if (r1.shape.join() !== `${batch},12,8,8` || r2.shape.join() !== `${batch},12,4,4`) {
    throw new Error(`reference shapes [${r1.shape}] and [${r2.shape}]`);
  }

  const params = [
    T.tensor(w1, [12, 1, 5, 5], { requiresGrad: true }),
    T.tensor(b1, [12, 8, 8], { requiresGrad: true }),
    T.tensor(w2, [12, 12, 5, 5], { requiresGrad: true }),
    T.tensor(b2, [12, 4, 4], { requiresGrad: true }),
  ];
  const input = T.tensor(x, [batch, 1, 16, 16]);
  const h2 = T.tidy(() =>
    conv2d(T.tanh(conv2d(input, params[0], params[1], h1Options)), params[2], params[3], h2Options)
  );
  assertClose(await h2.toArray(), r2.values, { atol: 3e-5, rtol: 1e-5, what: "H2 output" });

  // 1,068 + 2,592 effective parameters: masked H2 weights are not parameters.
  const connected = H2_CONNECTIONS.flat().filter(Boolean).length;
  const effective = 12 * 25 + 12 * 64 + connected * 25 + 12 * 16;
  if (connected !== 96 || effective !== 1068 + 2592) {
    throw new Error(`H2 table has ${connected} connections, ${effective} parameters`);
  }

  T.backward(T.tidy(() => T.sumAll(h2)));
  const gw2 = await params[2].grad!.toArray();
  for (let o = 0; o < 12; o++) {
    for (let c = 0; c < 12; c++) {
      if (H2_CONNECTIONS[o][c]) continue;
      for (let k = 0; k < 25; k++) {
        if (gw2[(o * 12 + c) * 25 + k] !== 0) {
          throw new Error(
            `masked weight [${o}, ${c}, ${k}] got gradient ${gw2[(o * 12 + c) * 25 + k]}`,
          );
        }
      }
    }
  }
  const expected2 = conv2dBackwardReference(
    a1,
    r1.shape,
    w2,
    [12, 12, 5, 5],
    [12, 4, 4],
    new Float64Array(size(r2.shape)).fill(1),
    h2Options,
  );
  assertClose(gw2, expected2.dweight, { atol: 5e-5, rtol: 1e-5, what: "H2 dweight" });
  assertClose(await params[3].grad!.toArray(), expected2.dbias!, { atol: 1e-6, what: "H2 dbias" });

  // Masked weights never influence the output, even as NaN.
  const poisoned = Float32Array.from(w2);
  for (let o = 0; o < 12; o++) {
    for (let c = 0; c < 12; c++) {
      if (!H2_CONNECTIONS[o][c]) poisoned.fill(NaN, (o * 12 + c) * 25, (o * 12 + c + 1) * 25);
    }
  }
  const again = T.tidy(() =>
    conv2d(
      T.tanh(conv2d(input, params[0], params[1], h1Options)),
      T.tensor(poisoned, [12, 12, 5, 5]),
      params[3],
      h2Options,
    )
  );
  assertClose(await again.toArray(), await h2.toArray(), { atol: 0, rtol: 0, what: "NaN mask" });
  for (const t of [...params, input, h2, again]) {
    t.grad?.dispose();
    t.dispose();
  }
});

Deno.test("conv2d rejects bad shapes and options with one clear line", () => {
  const x = T.tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
  const w = T.tensor(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);
  const expectError = (f: () => unknown, fragment: string) => {
    let message = "";
    try {
      T.tidy(() => {
        f();
      });
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment) || message.includes("\n")) {
      throw new Error(`expected an error containing "${fragment}", got "${message}"`);
    }
  };
  expectError(() => conv2d(T.reshape(x, [6, 8, 8]), w), "expected rank 4 [N, Cin, H, W]");
  expectError(
    () => conv2d(x, T.tensor(new Float32Array(4 * 2 * 9), [4, 2, 3, 3])),
    "weight has shape [4,2,3,3], expected [4, 3, KH, KW]",
  );
  expectError(() => conv2d(x, w, T.tensor([1, 2, 3])), "bias has shape [3], expected [4]");
  expectError(() => conv2d(x, w, null, { stride: 0 }), "stride must be at least 1");
  expectError(() => conv2d(x, w, null, { padding: -1 }), "padding must be non-negative");
  expectError(() => conv2d(x, w, null, { groups: 2 }), "groups 2 must be a positive integer");
  expectError(
    () => conv2d(x, w, null, { connections: [[1, 0, 1]] }),
    "connections is [1, 3], expected [4, 3]",
  );
  expectError(
    () => conv2d(x, w, null, { connections: Array(4).fill([1, 2, 0]) }),
    "connections[0][1] is 2",
  );
  expectError(
    () => conv2d(T.tensor(new Float32Array(2 * 3 * 2 * 2), [2, 3, 2, 2]), w),
    "does not fit the padded input 2x2",
  );
  expectError(
    () => conv2d(T.tensor(new Int32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]), w),
    "x must be f32",
  );
  x.dispose();
  expectError(() => conv2d(x, w), "disposed");
  w.dispose();
  if (runtime.isLost) throw new Error("device lost");
});
