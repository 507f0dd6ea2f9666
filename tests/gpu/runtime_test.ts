import { acquireGpu, createGpu, Params } from "../../lib/gpu/mod.ts";
import { assertClose } from "../helpers/check.ts";
import * as T from "../../lib/tensor/mod.ts";

Deno.test("a WGSL error surfaces as an exception naming the kernel", async () => {
  const gpu = await createGpu();
  const kernel = gpu.kernel({
    name: "broken",
    key: "test:broken",
    bindings: ["write"],
    uniformBytes: 0,
    code: () => "@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }",
  });
  const out = gpu.pool.acquire(16);
  gpu.dispatch(kernel, [out], undefined, [1]);
  let message = "";
  try {
    await gpu.sync();
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes('kernel "test:broken"')) throw new Error(`got: ${message}`);
  gpu.destroy();
});

Deno.test("params reach the kernel and work is recorded until readback", async () => {
  const gpu = await createGpu();
  const kernel = gpu.kernel({
    name: "affine",
    key: "test:affine",
    bindings: ["read", "write"],
    uniformBytes: 16,
    code: () => `
struct P { n: u32, scale: f32, shift: f32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { b[g.x] = a[g.x] * p.scale + p.shift; }
}`,
  });
  const a = gpu.upload(new Float32Array([1, 2, 3]));
  const b = gpu.pool.acquire(12);
  const before = gpu.encodingId;
  for (let i = 0; i < 3000; i++) {
    // Many dispatches with different params in one encoding (the uniform arena grows).
    gpu.dispatch(kernel, i % 2 ? [b, a] : [a, b], new Params().u32(3).f32(1, i % 2 ? -1 : 1), [1]);
  }
  if (gpu.encodingId !== before) throw new Error("work was submitted before readback");
  assertClose(new Float32Array(await gpu.read(a, 0, 12)), [1, 2, 3]);
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
    T.noGrad(() => T.mapInPlace("sgd", "a - c * b", w, w.grad!, 0.1));
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
