import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import { isCpuAdapter } from "../../lib/gpu/adapter.ts";
import {
  BLOCK_TILINGS,
  chooseMatmulTiling,
  LANE_TILINGS,
  linearReference,
  matmulReference,
  setMatmulTiling,
} from "../../kernels/matmul.ts";
import { linear, matmul } from "../../lib/ops/matmul.ts";
import { describeTiling, type Tiling } from "../../kernels/matmul_wgsl.ts";
import * as T from "../../lib/ops/mod.ts";

const runtime = await gpu();

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Host copy of `data` (shape [..., r, c]) transposed in its last two dimensions. */
function transposeHost(data: Float32Array, shape: readonly number[]): Float32Array {
  const r = shape[shape.length - 2], c = shape[shape.length - 1];
  const out = new Float32Array(data.length);
  for (let b = 0; b < data.length / (r * c); b++) {
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = data[b * r * c + i * c + j];
    }
  }
  return out;
}

/** A tensor equal to `data` of `shape`, stored transposed (a `transpose()` view) if asked. */
function operand(data: Float32Array, shape: number[], transposed: boolean): T.Tensor {
  if (!transposed) return T.tensor(data, shape);
  const r = shape.length;
  const stored = [...shape.slice(0, -2), shape[r - 1], shape[r - 2]];
  const base = T.tensor(transposeHost(data, shape), stored);
  const view = T.transpose(base);
  base.dispose();
  return view;
}

async function checkProduct(
  aShape: number[],
  bShape: number[],
  layout: string,
  what: string,
): Promise<void> {
  const a = randomArray(size(aShape), size(aShape) + 1);
  const b = randomArray(size(bShape), size(bShape) + 2);
  const ta = operand(a, aShape, layout[0] === "t"), tb = operand(b, bShape, layout[1] === "t");
  const y = matmul(ta, tb);
  const ref = matmulReference(a, aShape, b, bShape);
  if (y.shape.join() !== ref.shape.join()) {
    throw new Error(`${what}: shape [${y.shape}], expected [${ref.shape}]`);
  }
  const k = aShape[aShape.length - 1];
  const tol = 2e-6 * Math.max(1, Math.sqrt(k)) + 1e-6;
  assertClose(await y.toArray(), ref.values, { atol: tol, rtol: tol, what });
  for (const t of [ta, tb, y]) t.dispose();
}

// M, K, N covering 1, 7, 33, 129 and multiples of 4 (vec4 paths) around every tile size.
const SHAPES_2D: [number, number, number][] = [
  [1, 1, 1],
  [7, 33, 129],
  [129, 7, 33],
  [33, 129, 7],
  [1, 33, 7],
  [7, 1, 33],
  [33, 7, 1],
  [36, 64, 132],
  [129, 36, 20],
  [4, 8, 4],
];
const LAYOUTS = ["nn", "nt", "tn", "tt"];

Deno.test("matmul matches float64 on awkward shapes in every layout", async () => {
  for (const [m, k, n] of SHAPES_2D) {
    for (const layout of LAYOUTS) {
      await checkProduct([m, k], [k, n], layout, `${layout} ${m}x${k}x${n}`);
    }
  }
});

Deno.test("every tiling reads every operand path correctly", async () => {
  // Scalar reads of normal (nn) and transposed (tt) operands, vec4 reads of both (nt, tn);
  // sizes cut partial tiles everywhere, K = 33 leaves a K tail, N = 1 a single column.
  const paths: [number[], number[], string][] = [
    [[129, 33], [33, 7], "nn"],
    [[33, 7], [7, 1], "tt"],
    [[36, 64], [64, 132], "nt"],
    [[36, 64], [64, 132], "tn"],
  ];
  const tilings: Tiling[] = [...LANE_TILINGS, ...BLOCK_TILINGS];
  try {
    for (const tiling of tilings) {
      setMatmulTiling(tiling);
      for (const [sa, sb, layout] of paths) {
        await checkProduct(sa, sb, layout, `${describeTiling(tiling)} ${layout} [${sa}] @ [${sb}]`);
      }
    }
  } finally {
    setMatmulTiling("auto");
  }
});

Deno.test("matmul broadcasts batch dimensions", async () => {
  const cases: [number[], number[]][] = [
    [[3, 7, 33], [33, 9]], // [B, T, K] @ [K, N]
    [[2, 3, 8, 16], [2, 3, 16, 8]], // [B, H, T, D] @ [B, H, D, T]
    [[1, 5, 7], [7, 7, 9]], // [1, M, K] @ [7, K, N]
    [[2, 1, 5, 12], [3, 12, 4]],
    [[5, 12], [2, 3, 12, 8]],
  ];
  try {
    for (const kind of ["lanes", "blocks"] as const) {
      setMatmulTiling(kind);
      for (const [sa, sb] of cases) {
        for (const layout of LAYOUTS) {
          await checkProduct(sa, sb, layout, `${kind} ${layout} [${sa}] @ [${sb}]`);
        }
      }
    }
  } finally {
    setMatmulTiling("auto");
  }
});

Deno.test("more batches than a dispatch dimension allows are split across dispatches", async () => {
  const n = 70000; // > 65535 workgroups along z
  const a = randomArray(n * 2, 1), b = randomArray(n * 2 * 3, 2);
  const ta = T.tensor(a, [n, 1, 2]), tb = T.tensor(b, [n, 2, 3]);
  const before = runtime.dispatchCount;
  const y = matmul(ta, tb);
  if (runtime.dispatchCount - before !== 2) throw new Error("expected two dispatches");
  assertClose(await y.toArray(), matmulReference(a, [n, 1, 2], b, [n, 2, 3]).values, {
    atol: 1e-5,
    rtol: 1e-5,
    what: "70000 batches",
  });
  for (const t of [ta, tb, y]) t.dispose();
});

Deno.test("matmul reads sliced, offset and strided views; 1-D operands are vectors", async () => {
  const wide = randomArray(9 * 40, 3);
  const base = T.tensor(wide, [9, 40]);
  const a = T.slice(base, 1, 3, 36); // [9, 33], row stride 40, offset 3
  const bData = randomArray(33 * 5, 4);
  const b = T.tensor(bData, [33, 5]);
  const aHost = new Float32Array(9 * 33);
  for (let i = 0; i < 9; i++) for (let j = 0; j < 33; j++) aHost[i * 33 + j] = wide[i * 40 + 3 + j];
  const y = matmul(a, b);
  assertClose(await y.toArray(), matmulReference(aHost, [9, 33], bData, [33, 5]).values, {
    atol: 1e-5,
    rtol: 1e-5,
    what: "sliced a",
  });
  // Neither matrix stride is 1: the operand is copied, the result is still right.
  const cube = randomArray(5 * 6 * 7, 5);
  const c = T.tensor(cube, [5, 6, 7]);
  const odd = T.permute(c, [1, 2, 0]); // [6, 7, 5], last two strides 1? no: [1, 42]
  const picked = T.slice(odd, 2, 2, 3); // [6, 7, 1]
  const matrix = T.reshape(T.permute(picked, [2, 0, 1]), [6, 7]);
  const mHost = new Float32Array(42);
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 7; j++) mHost[i * 7 + j] = cube[2 * 42 + i * 7 + j];
  }
  const v = randomArray(7, 6);
  const mv = matmul(matrix, T.tensor(v, [7]));
  assertClose(await mv.toArray(), matmulReference(mHost, [6, 7], v, [7, 1]).values, {
    atol: 1e-5,
    rtol: 1e-5,
    what: "matrix @ vector",
  });
  if (mv.shape.join() !== "6") throw new Error(`matrix @ vector has shape [${mv.shape}]`);
  const vm = matmul(T.tensor(v.slice(0, 6), [6]), matrix);
  assertClose(await vm.toArray(), matmulReference(v.slice(0, 6), [1, 6], mHost, [6, 7]).values, {
    atol: 1e-5,
    rtol: 1e-5,
    what: "vector @ matrix",
  });
  if (vm.shape.join() !== "7") throw new Error(`vector @ matrix has shape [${vm.shape}]`);
  for (const t of [base, a, b, y, c, odd, picked, matrix, mv, vm]) t.dispose();
});

Deno.test("empty dimensions: K = 0 gives zeros (plus bias), M = 0 an empty result", async () => {
  const y = T.tidy(() => matmul(T.ones([3, 0]), T.ones([0, 4])));
  assertClose(await y.toArray(), new Float32Array(12), { atol: 0, what: "K = 0" });
  const z = T.tidy(() => linear(T.ones([2, 0]), T.ones([3, 0]), T.full([3], 2)));
  assertClose(await z.toArray(), new Float32Array(6).fill(2), { atol: 0, what: "K = 0 + bias" });
  const e = T.tidy(() => matmul(T.ones([0, 5]), T.ones([5, 4])));
  if (e.shape.join() !== "0,4" || (await e.toArray()).length !== 0) {
    throw new Error(`M = 0 gave shape [${e.shape}]`);
  }
  for (const t of [y, z, e]) t.dispose();
});

Deno.test("linear = x @ weight^T + bias for inputs of rank 1 to 3", async () => {
  try {
    for (const kind of ["lanes", "blocks"] as const) {
      setMatmulTiling(kind);
      for (const xShape of [[33], [7, 33], [2, 5, 33], [3, 4, 36]]) {
        const inF = xShape[xShape.length - 1];
        for (const outF of [1, 7, 129]) {
          for (const withBias of [true, false]) {
            const x = randomArray(size(xShape), 7), w = randomArray(outF * inF, 8);
            const bias = withBias ? randomArray(outF, 9) : undefined;
            const y = T.tidy(() =>
              linear(T.tensor(x, xShape), T.tensor(w, [outF, inF]), bias && T.tensor(bias, [outF]))
            );
            const ref = linearReference(x, xShape, w, [outF, inF], bias);
            if (y.shape.join() !== ref.shape.join()) {
              throw new Error(`linear: shape [${y.shape}], expected [${ref.shape}]`);
            }
            assertClose(await y.toArray(), ref.values, {
              atol: 1e-5,
              rtol: 1e-5,
              what: `${kind} linear [${xShape}] -> ${outF} bias ${withBias}`,
            });
            y.dispose();
          }
        }
      }
    }
  } finally {
    setMatmulTiling("auto");
  }
});

Deno.test("matmul backward matches finite differences, broadcast dims summed", async () => {
  const d = (shape: number[], seed: number) => ({ data: randomArray(size(shape), seed), shape });
  try {
    for (const kind of ["lanes", "blocks"] as const) {
      setMatmulTiling(kind);
      // Summed dims that fold into K ([3, 4, 5] @ [5, 6]) and that loop in the kernel.
      await gradcheck(matmul, [d([3, 4, 5], 3), d([5, 6], 4)]);
      await gradcheck(matmul, [d([1, 4, 5], 5), d([3, 5, 2], 6)]);
      await gradcheck(matmul, [d([2, 1, 3, 4], 7), d([3, 4, 5], 8)]);
    }
  } finally {
    setMatmulTiling("auto");
  }
  await gradcheck(matmul, [d([7, 5], 1), d([5, 9], 2)]);
  await gradcheck(matmul, [d([5], 9), d([5, 3], 10)]);
  await gradcheck(matmul, [d([2, 3, 5], 11), d([5], 12)]);
  // Transposed operands: gradients of the views flow back to the stored tensors.
  await gradcheck((a, b) => matmul(T.transpose(a), T.transpose(b)), [d([5, 7], 13), d([9, 5], 14)]);
});

Deno.test("linear backward matches finite differences, with and without bias", async () => {
  const d = (shape: number[], seed: number) => ({ data: randomArray(size(shape), seed), shape });
  await gradcheck(linear, [d([2, 3, 6], 1), d([5, 6], 2), d([5], 3)]);
  await gradcheck((x, w) => linear(x, w), [d([4, 8], 4), d([3, 8], 5)]);
  await gradcheck(linear, [d([6], 6), d([7, 6], 7), d([7], 8)]);
});

Deno.test("backward reads transposes in place: one product per gradient", async () => {
  const a = T.randn([3, 16, 12], { seed: 1, requiresGrad: true });
  const b = T.randn([12, 20], { seed: 2, requiresGrad: true });
  const y = matmul(a, b);
  const g = T.randn(y.shape, { seed: 3 });
  const before = runtime.dispatchCount;
  const [da, db] = y.node!.backward(g);
  const dispatches = runtime.dispatchCount - before;
  if (dispatches !== 2) throw new Error(`backward used ${dispatches} dispatches, expected 2`);
  const [ah, bh, gh] = await Promise.all([a.toArray(), b.toArray(), g.toArray()]);
  const daRef = matmulReference(gh, [3, 16, 20], transposeHost(bh as Float32Array, [12, 20]), [
    20,
    12,
  ]);
  const dbRef = new Float64Array(12 * 20);
  for (let z = 0; z < 3; z++) {
    const part = matmulReference(
      transposeHost((ah as Float32Array).subarray(z * 192, (z + 1) * 192), [16, 12]),
      [12, 16],
      (gh as Float32Array).subarray(z * 320, (z + 1) * 320),
      [16, 20],
    );
    part.values.forEach((v, i) => (dbRef[i] += v));
  }
  assertClose(await da!.toArray(), daRef.values, { atol: 1e-5, rtol: 1e-5, what: "dA" });
  assertClose(await db!.toArray(), dbRef, {
    atol: 1e-5,
    rtol: 1e-5,
    what: "dB (summed over batch)",
  });
  y.node!.release();
  for (const t of [a, b, y, g, da!, db!]) t.dispose();
});

Deno.test("matmul is deterministic and picks tilings by adapter", async () => {
  const a = T.randn([65, 129], { seed: 4 }), b = T.randn([129, 70], { seed: 5 });
  const y1 = matmul(a, b), y2 = matmul(a, b);
  const [h1, h2] = await Promise.all([y1.toArray(), y2.toArray()]);
  if (!h1.every((v, i) => Object.is(v, h2[i]))) throw new Error("two runs differ");
  const kind = chooseMatmulTiling(runtime, 1024, 1024, 1).kind;
  const expected = isCpuAdapter(runtime.adapterName) ? "lanes" : "blocks";
  if (kind !== expected) {
    throw new Error(`${runtime.adapterName}: chose ${kind}, expected ${expected}`);
  }
  if (!isCpuAdapter("llvmpipe (LLVM 15.0.6, 256 bits) [vulkan]") || isCpuAdapter("NVIDIA H100")) {
    throw new Error("isCpuAdapter misclassifies");
  }
  for (const t of [a, b, y1, y2]) t.dispose();
});

Deno.test("bad inputs raise one clear line", () => {
  const expectError = (fn: () => unknown, fragment: string) => {
    let message = "";
    try {
      fn();
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment)) {
      throw new Error(`expected an error containing "${fragment}", got "${message}"`);
    }
    if (message.includes("\n")) throw new Error(`error spans lines: ${message}`);
  };
  const a = T.zeros([2, 3]), b = T.zeros([4, 5]), c = T.zeros([2, 3, 4]), d = T.zeros([3, 4, 5]);
  const ids = T.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  expectError(() => matmul(a, b), "a has 3 columns but b has 4 rows");
  expectError(() => matmul(c, d), "do not broadcast");
  expectError(() => matmul(ids, T.zeros([3, 2])), "must be f32");
  expectError(() => matmul(T.zeros([]), a), "rank 1 or more");
  expectError(() => linear(c, T.zeros([5, 3])), "expected [out, 4]");
  expectError(() => linear(c, T.zeros([5, 4]), T.zeros([4])), "expected [5]");
  expectError(() => setMatmulTiling("fast" as "auto"), "unknown tiling");
  expectError(
    () => setMatmulTiling({ kind: "blocks", bm: 64, bn: 64, bk: 8, tm: 6, tn: 4 }),
    "not a valid block tiling",
  );
  a.dispose();
  expectError(() => matmul(a, T.zeros([3, 2])), "disposed");
  for (const t of [b, c, d, ids]) t.dispose();
});
