import { acquireGpu, createGpu, declareKernel } from "../../lib/gpu/mod.ts";
import { mapInPlace } from "../../kernels/map.ts";
import { assertClose } from "../helpers/check.ts";
import * as T from "../../lib/ops/mod.ts";

Deno.test("a WGSL error surfaces as an exception naming the kernel", async () => {
  const gpu = await createGpu();
  const broken = declareKernel("broken", () => ({
    storage: [{ name: "out", access: "read_write", type: "f32" }],
    body: "@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }",
  }));
  const out = gpu.pool.acquire(16);
  gpu.run(broken, {}, { out }, undefined, [1]);
  let message = "";
  try {
    await gpu.sync();
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes('kernel "broken"')) throw new Error(`got: ${message}`);
  gpu.destroy();
});

Deno.test("uniforms reach the kernel and work is recorded until readback", async () => {
  const gpu = await createGpu();
  const affine = declareKernel("affine", () => ({
    storage: [
      { name: "a", access: "read", type: "f32" },
      { name: "b", access: "read_write", type: "f32" },
    ],
    uniforms: { n: "u32", scale: "f32", shift: "f32" },
    body: `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { b[g.x] = a[g.x] * p.scale + p.shift; }
}`,
  }));
  const kernel = gpu.kernel(affine, {});
  const x = gpu.upload(new Float32Array([1, 2, 3]));
  const y = gpu.pool.acquire(12);
  const before = gpu.encodingId;
  for (let i = 0; i < 3000; i++) {
    // Many dispatches with different uniforms in one encoding (the uniform arena grows).
    const buffers = i % 2 ? { a: y, b: x } : { a: x, b: y };
    gpu.dispatch(kernel, buffers, { n: 3, scale: 1, shift: i % 2 ? -1 : 1 }, [1]);
  }
  if (gpu.encodingId !== before) throw new Error("work was submitted before readback");
  assertClose(new Float32Array(await gpu.read(x, 0, 12)), [1, 2, 3]);
  gpu.destroy();
});

Deno.test("device loss is reported on the next operation and a fresh device follows", async () => {
  const gpu = await acquireGpu();
  const x = T.tensor([1, 2, 3]);
  gpu.destroy();
  let message = "";
  try {
    T.exp(x);
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("device lost")) throw new Error(`got: ${message}`);
  const fresh = await acquireGpu();
  if (fresh === gpu || fresh.isLost) throw new Error("no fresh device after loss");
  const y = T.exp(T.tensor([0]));
  assertClose(await y.toArray(), [1]);
  y.dispose();
});

Deno.test("a repeated training step allocates no new buffers and submits once", async () => {
  const gpu = await acquireGpu();
  const w = T.randn([33, 7], { seed: 1, requiresGrad: true });
  const x = T.randn([5, 33], { seed: 2 });
  const step = () => {
    const loss = T.tidy(() => {
      const h = T.tanh(T.sum(T.mul(T.reshape(x, [5, 33, 1]), w), 1));
      const l = T.meanAll(T.mul(h, h));
      T.backward(l);
      return l;
    });
    T.noGrad(() => mapInPlace("sgd", "a - c * b", w, w.grad!, 0.1));
    w.grad!.dispose();
    w.grad = null;
    return loss;
  };
  const l0 = step();
  await l0.item();
  l0.dispose();
  const created = gpu.pool.stats.created;
  const inUse = gpu.pool.stats.inUse;
  const submitsBefore = gpu.encodingId;
  for (let i = 0; i < 5; i++) {
    const l = step();
    await l.item();
    l.dispose();
  }
  if (gpu.pool.stats.created !== created) {
    throw new Error(`steady-state steps created ${gpu.pool.stats.created - created} buffers`);
  }
  if (gpu.pool.stats.inUse !== inUse) throw new Error("steady-state steps leaked buffers");
  if (gpu.encodingId - submitsBefore !== 5) {
    throw new Error(
      `expected one submission per step, got ${gpu.encodingId - submitsBefore} for 5`,
    );
  }
  w.dispose();
  x.dispose();
});

Deno.test("a dispatch missing a buffer or a uniform is one clear error naming it", async () => {
  const gpu = await createGpu();
  const copy = declareKernel("copy_test", () => ({
    storage: [
      { name: "src", access: "read", type: "f32" },
      { name: "dst", access: "read_write", type: "f32" },
    ],
    uniforms: { n: "u32" },
    body: "@compute @workgroup_size(1) fn main() { if (p.n > 0u) { dst[0] = src[0]; } }",
  }));
  const buffer = gpu.pool.acquire(16);
  const errorOf = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };
  const missingBuffer = errorOf(() => gpu.run(copy, {}, { src: buffer }, { n: 1 }, [1]));
  if (!missingBuffer.includes('no buffer given for "dst"')) throw new Error(missingBuffer);
  const other = gpu.pool.acquire(16);
  const missingUniform = errorOf(() => gpu.run(copy, {}, { src: buffer, dst: other }, {}, [1]));
  if (!missingUniform.includes('uniform "n" was not given')) throw new Error(missingUniform);
  const unknown = errorOf(() =>
    gpu.run(copy, {}, { src: buffer, dst: other }, { n: 1, m: 2 }, [1])
  );
  if (!unknown.includes('it has no uniform "m"')) throw new Error(unknown);
  gpu.destroy();
});

Deno.test("a declaration builds its source once per specialization key", async () => {
  const gpu = await createGpu();
  let builds = 0;
  const scaled = declareKernel("scaled_test", (c: { factor: number }) => {
    builds++;
    return {
      storage: [{ name: "x", access: "read_write", type: "f32" }],
      body: `@compute @workgroup_size(1) fn main() { x[0] = x[0] * ${c.factor.toFixed(1)}; }`,
    };
  });
  const x = gpu.upload(new Float32Array([3]));
  for (let i = 0; i < 5; i++) gpu.run(scaled, { factor: 2 }, { x }, undefined, [1]);
  gpu.run(scaled, { factor: 0.5 }, { x }, undefined, [1]);
  if (builds !== 2) throw new Error(`built ${builds} times for 2 keys`);
  assertClose(new Float32Array(await gpu.read(x, 0, 4)), [3 * 32 * 0.5]);
  gpu.destroy();
});
