import assert from "node:assert/strict";
import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import {
  attentionBackwardReference,
  attentionReference,
  setAttentionKernels,
} from "../../kernels/attention.ts";
import { causalAttention, causalSelfAttention } from "../../lib/ops/attention.ts";
import type { AttentionFamily } from "../../kernels/attention_wgsl.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

const FAMILIES: AttentionFamily[] = ["lanes", "blocks"];
const FORWARD_TOLERANCE = { atol: 2e-5, rtol: 1e-4 };
const BACKWARD_TOLERANCE = { atol: 1e-4, rtol: 1e-3 };

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `fn` once per kernel family (forced), as test steps named after the family. */
async function eachFamily(
  ctx: Deno.TestContext,
  fn: (family: AttentionFamily) => Promise<void>,
): Promise<void> {
  for (const family of FAMILIES) {
    await ctx.step(family, async () => {
      setAttentionKernels(family);
      try {
        await fn(family);
      } finally {
        setAttentionKernels("auto");
      }
    });
  }
}

/** Random q, k, v host arrays of shape [b, h, t, d]. */
function qkv(b: number, h: number, t: number, d: number, seed: number) {
  const n = b * h * t * d;
  return [randomArray(n, seed, -2, 2), randomArray(n, seed + 1, -2, 2), randomArray(n, seed + 2)];
}

/** Forward on dense tensors vs the float64 reference. */
async function checkForward(shape: number[], seed: number, what: string, scale?: number) {
  const [b, h, t, d] = shape;
  const [q, k, v] = qkv(b, h, t, d, seed);
  const y = T.tidy(() =>
    causalAttention(T.tensor(q, shape), T.tensor(k, shape), T.tensor(v, shape), { scale })
  );
  assertClose(await y.toArray(), attentionReference(q, k, v, b, h, t, d, scale), {
    ...FORWARD_TOLERANCE,
    what: `${what} [${shape}]`,
  });
  y.dispose();
}

/** Gradients of q, k, v through autograd vs the float64 reference backward. */
async function checkBackward(shape: number[], seed: number, what: string) {
  const [b, h, t, d] = shape;
  const [q, k, v] = qkv(b, h, t, d, seed);
  const gOut = randomArray(size(shape), seed + 9);
  const leaves = [q, k, v].map((a) => T.tensor(a, shape, { requiresGrad: true }));
  // The output gradient arrives as a transposed view, to exercise its strides.
  const gT = T.tensor(gOut, shape);
  const gView = T.transpose(T.contiguous(T.transpose(gT, 1, 2)), 1, 2);
  const y = causalAttention(leaves[0], leaves[1], leaves[2], { layout: "bthd" });
  T.backward(y, { grad: gView });
  const ref = attentionBackwardReference(q, k, v, gOut, b, h, t, d);
  const names = ["dq", "dk", "dv"] as const;
  for (let i = 0; i < 3; i++) {
    assertClose(await leaves[i].grad!.toArray(), ref[names[i]], {
      ...BACKWARD_TOLERANCE,
      what: `${what} ${names[i]} [${shape}]`,
    });
  }
  for (const x of [...leaves, ...leaves.map((l) => l.grad!), gT, gView, y]) x.dispose();
}

Deno.test("forward matches the float64 reference on awkward T and D", async (ctx) => {
  await eachFamily(ctx, async (family) => {
    for (const t of [1, 7, 33, 129]) {
      for (const d of [3, 8, 12, 16, 64]) await checkForward([2, 3, t, d], t * 100 + d, family);
    }
  });
});

Deno.test("forward covers long sequences, head dimension 128 and a custom scale", async (ctx) => {
  await eachFamily(ctx, async (family) => {
    // The blocks kernels are the GPU family: on CPU test machines keep their shapes small and
    // skip D = 128, whose blocks kernels take lavapipe tens of seconds to compile.
    const lanes = family === "lanes";
    await checkForward([1, 2, lanes ? 300 : 140, 32], 1, family, 0.3);
    if (lanes) await checkForward([2, 1, 70, 128], 3, family);
  });
});

/** Dense [b, h, t, d] copy of part `i` of a [b, t, 3, h, d] array. */
function headsOf(data: Float32Array, b: number, t: number, h: number, d: number, i: number) {
  const out = new Float32Array(b * h * t * d);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      for (let hi = 0; hi < h; hi++) {
        for (let di = 0; di < d; di++) {
          out[((bi * h + hi) * t + ti) * d + di] =
            data[(((bi * t + ti) * 3 + i) * h + hi) * d + di];
        }
      }
    }
  }
  return out;
}

Deno.test("reads permuted and sliced views and writes the bthd layout", async (ctx) => {
  const [b, t, h, d] = [2, 37, 3, 12];
  const data = randomArray(b * t * 3 * h * d, 5, -2, 2);
  const expected = attentionReference(
    headsOf(data, b, t, h, d, 0),
    headsOf(data, b, t, h, d, 1),
    headsOf(data, b, t, h, d, 2),
    b,
    h,
    t,
    d,
  );
  await eachFamily(ctx, async (family) => {
    const x = T.tensor(data, [b, t, 3 * h * d]);
    const heads = (i: number) => {
      const part = T.slice(T.reshape(x, [b, t, 3, h, d]), 2, i, i + 1);
      return T.permute(T.reshape(part, [b, t, h, d]), [0, 2, 1, 3]);
    };
    for (const layout of ["bhtd", "bthd"] as const) {
      const y = T.tidy(() => causalAttention(heads(0), heads(1), heads(2), { layout }));
      assert.deepEqual(y.shape, [b, h, t, d]);
      assert.equal(y.isContiguous, layout === "bhtd");
      assertClose(await y.toArray(), expected, {
        ...FORWARD_TOLERANCE,
        what: `${family} ${layout}`,
      });
      if (layout === "bthd") {
        const merged = T.permute(y, [0, 2, 1, 3]);
        assert.ok(merged.isContiguous, "permute of a bthd output is dense");
        merged.dispose();
      }
      y.dispose();
    }
    x.dispose();
  });
});

Deno.test("causalSelfAttention works in place on a stacked qkv projection", async (ctx) => {
  const [b, t, h, d] = [2, 37, 3, 12];
  const c = h * d;
  const data = randomArray(b * t * 3 * c, 6, -2, 2);
  const parts = [0, 1, 2].map((i) => headsOf(data, b, t, h, d, i));
  const gOut = randomArray(b * t * c, 7);
  // The output gradient [B, T, C] as [B, H, T, D] for the reference.
  const gHeads = new Float32Array(b * t * c);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      for (let x = 0; x < c; x++) {
        gHeads[((bi * h + Math.floor(x / d)) * t + ti) * d + x % d] = gOut[(bi * t + ti) * c + x];
      }
    }
  }
  const out = attentionReference(parts[0], parts[1], parts[2], b, h, t, d);
  const ref = attentionBackwardReference(parts[0], parts[1], parts[2], gHeads, b, h, t, d);
  const expectedOut = new Float64Array(b * t * c);
  const expectedGrad = new Float64Array(b * t * 3 * c);
  const sources = [ref.dq, ref.dk, ref.dv];
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      for (let x = 0; x < c; x++) {
        const at = ((bi * h + Math.floor(x / d)) * t + ti) * d + x % d;
        expectedOut[(bi * t + ti) * c + x] = out[at];
        for (let i = 0; i < 3; i++) {
          expectedGrad[(bi * t + ti) * 3 * c + i * c + x] = sources[i][at];
        }
      }
    }
  }
  await eachFamily(ctx, async (family) => {
    const qkvT = T.tensor(data, [b, t, 3 * c], { requiresGrad: true });
    const y = causalSelfAttention(qkvT, h);
    assert.deepEqual(y.shape, [b, t, c]);
    assert.ok(y.isContiguous);
    assertClose(await y.toArray(), expectedOut, { ...FORWARD_TOLERANCE, what: `${family} out` });
    const g = T.tensor(gOut, [b, t, c]);
    T.backward(y, { grad: g });
    assertClose(await qkvT.grad!.toArray(), expectedGrad, {
      ...BACKWARD_TOLERANCE,
      what: `${family} dqkv`,
    });
    for (const x of [qkvT, qkvT.grad!, g, y]) x.dispose();
  });
  await gradcheck((x) => causalSelfAttention(x, 2, { scale: 0.4 }), [
    { data: randomArray(2 * 6 * 3 * 2 * 3, 8), shape: [2, 6, 18] },
  ], { perElement: 6 });
});

Deno.test("reads views whose offset and strides rule out vec4 loads", async () => {
  // q, k, v are the last 8 of 9 features: offset 1 and row stride 9.
  const [b, h, t, d] = [2, 2, 45, 8];
  const wide = [b, h, t, d + 1];
  const datas = [0, 1, 2].map((i) => randomArray(size(wide), 20 + i, -2, 2));
  const dense = datas.map((a) => a.filter((_, i) => i % (d + 1) !== 0));
  const shape = [b, h, t, d];
  const gOut = randomArray(size(shape), 30);
  const leaves = datas.map((a) => T.tensor(a, wide, { requiresGrad: true }));
  const y = T.tidy(() => {
    const [q, k, v] = leaves.map((l) => T.slice(l, 3, 1, d + 1));
    return causalAttention(q, k, v);
  });
  assertClose(await y.toArray(), attentionReference(dense[0], dense[1], dense[2], b, h, t, d), {
    ...FORWARD_TOLERANCE,
    what: "unaligned views",
  });
  const g = T.tensor(gOut, shape);
  T.backward(y, { grad: g });
  const ref = attentionBackwardReference(dense[0], dense[1], dense[2], gOut, b, h, t, d);
  const names = ["dq", "dk", "dv"] as const;
  for (let i = 0; i < 3; i++) {
    const grad = (await leaves[i].grad!.toArray()).filter((_, j) => j % (d + 1) !== 0);
    assertClose(grad, ref[names[i]], { ...BACKWARD_TOLERANCE, what: `unaligned ${names[i]}` });
  }
  for (const x of [...leaves, ...leaves.map((l) => l.grad!), g, y]) x.dispose();
});

Deno.test("backward matches finite differences", async (ctx) => {
  await eachFamily(ctx, async () => {
    for (const [b, h, t, d] of [[1, 2, 7, 5], [2, 1, 10, 8]]) {
      const [q, k, v] = qkv(b, h, t, d, 40 + d);
      const shape = [b, h, t, d];
      await gradcheck(
        (x, y, z) => causalAttention(x, y, z),
        [{ data: q, shape }, { data: k, shape }, { data: v, shape }],
        { perElement: 4 },
      );
    }
  });
});

Deno.test("backward matches the float64 reference on larger shapes", async (ctx) => {
  await eachFamily(ctx, async (family) => {
    await checkBackward([2, 2, 129, 16], 1, family);
    await checkBackward([1, 3, 70, 64], 2, family);
    await checkBackward([2, 1, 40, 5], 4, family);
    if (family === "lanes") await checkBackward([2, 1, 33, 12], 3, family);
  });
});

Deno.test("backward with head dimension 128 matches the float64 reference", async () => {
  await checkBackward([1, 1, 50, 128], 5, "D=128");
});

Deno.test("the output at position i does not depend on keys or values after i", async () => {
  const [b, h, t, d] = [2, 2, 100, 16];
  const shape = [b, h, t, d];
  const [q, k, v] = qkv(b, h, t, d, 77);
  const cut = 41;
  const k2 = Float32Array.from(k), v2 = Float32Array.from(v);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = (bh * t + cut) * d; i < (bh + 1) * t * d; i++) {
      k2[i] += 3;
      v2[i] -= 5;
    }
  }
  const run = async (kk: Float32Array, vv: Float32Array) => {
    const y = T.tidy(() =>
      causalAttention(T.tensor(q, shape), T.tensor(kk, shape), T.tensor(vv, shape))
    );
    const out = await y.toArray();
    y.dispose();
    return out;
  };
  const before = await run(k, v), after = await run(k2, v2);
  let changedLater = false;
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < t * d; i++) {
      const at = bh * t * d + i;
      if (i < cut * d) assert.equal(after[at], before[at], `position ${Math.floor(i / d)} changed`);
      else if (after[at] !== before[at]) changedLater = true;
    }
  }
  assert.ok(changedLater, "outputs at and after the cut depend on the changed keys");
});

Deno.test("forward and backward are bitwise deterministic", async (ctx) => {
  const [b, h, t, d] = [2, 2, 90, 16];
  const shape = [b, h, t, d];
  const [q, k, v] = qkv(b, h, t, d, 3);
  const gOut = randomArray(size(shape), 4);
  const run = async () => {
    const leaves = [q, k, v].map((a) => T.tensor(a, shape, { requiresGrad: true }));
    const y = causalAttention(leaves[0], leaves[1], leaves[2]);
    const out = await y.toArray();
    const g = T.tensor(gOut, shape);
    T.backward(y, { grad: g });
    const grads = await Promise.all(leaves.map((l) => l.grad!.toArray()));
    for (const x of [...leaves, ...leaves.map((l) => l.grad!), g, y]) x.dispose();
    return [out, ...grads];
  };
  await eachFamily(ctx, async () => {
    const first = await run(), second = await run();
    for (let i = 0; i < first.length; i++) assert.deepEqual(second[i], first[i]);
  });
});

Deno.test("bad shapes, dtypes and options raise one-line errors", () => {
  const q = T.tensor(randomArray(2 * 3 * 4, 1), [1, 2, 3, 4]);
  const k = T.tensor(randomArray(2 * 3 * 4, 2), [1, 2, 3, 4]);
  const other = T.tensor(randomArray(2 * 4 * 4, 3), [1, 2, 4, 4]);
  const flat = T.tensor(randomArray(12, 4), [3, 4]);
  const ints = T.tensor(new Int32Array(24), [1, 2, 3, 4]);
  const wide = T.tensor(new Float32Array(300), [1, 1, 1, 300]);
  const empty = T.tensor(new Float32Array(0), [1, 1, 3, 0]);
  const gone = T.tensor(randomArray(24, 5), [1, 2, 3, 4]);
  gone.dispose();
  const T3 = T.tensor(randomArray(48, 6), [1, 2, 24]);
  const ints3 = T.tensor(new Int32Array(48), [1, 2, 24]);
  const cases: [() => unknown, RegExp][] = [
    [() => causalAttention(flat, k, k), /q has shape \[3, 4\], expected 4 dimensions/],
    [() => causalAttention(q, other, k), /k has shape \[1, 2, 4, 4\], expected \[1, 2, 3, 4\]/],
    [() => causalAttention(q, k, flat), /v has shape \[3, 4\], expected 4 dimensions/],
    [() => causalAttention(q, ints, k), /k has dtype i32, expected f32/],
    [() => causalAttention(wide, wide, wide), /D = 300 .* expected 1 to 256/],
    [() => causalAttention(empty, empty, empty), /D = 0 .* expected 1 to 256/],
    [() => causalAttention(q, k, k, { scale: NaN }), /scale must be a finite number/],
    [
      () => causalAttention(q, k, k, { layout: "tbhd" as "bhtd" }),
      /layout "tbhd" is unknown/,
    ],
    [() => causalAttention(q, gone, k), /was disposed/],
    [() => setAttentionKernels("fast" as "auto"), /unknown choice "fast"/],
    [() => causalSelfAttention(flat, 1), /qkv has shape \[3, 4\], expected 3 dimensions/],
    [() => causalSelfAttention(T3, 0), /heads must be a positive integer, got 0/],
    [() => causalSelfAttention(T3, 5), /last dimension 24 of qkv \[1, 2, 24\] is not 3 · 5/],
    [() => causalSelfAttention(ints3, 2), /qkv has dtype i32, expected f32/],
  ];
  for (const [fn, pattern] of cases) {
    assert.throws(fn, (e: Error) => {
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
      return true;
    });
  }
  for (const x of [q, k, other, flat, ints, wide, empty, T3, ints3]) x.dispose();
});
