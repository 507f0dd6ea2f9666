import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { declareKernel } from "../../lib/gpu/program.ts";
import {
  COUNTER_RNG_WGSL,
  COUNTER_STREAM,
  dropoutKeeps,
  hash32,
  noiseBits,
  noiseUniform,
} from "../../lib/random/counter.ts";

const device = await gpu();

Deno.test("the counter generator's bits are pinned (published runs were drawn with them)", () => {
  assert.deepEqual([0, 1, 0xffffffff, 12345].map(hash32), [
    0,
    0x688990c0,
    0x6768824a,
    0x912efcf7,
  ]);
  assert.equal(noiseBits(1337, 3, 7, 5), 0x46f5802f);
  assert.equal(noiseBits(0xffffffff, 1, 2, 3), 0xaaf2dc3a);
});

/** Evaluates the WGSL twin on `count` counters (seed, stream, step, unit) = (s, st, t, i). */
const twinKernel = declareKernel("counter_twin_test", () => ({
  storage: [{ name: "out", access: "read_write", type: "u32" }],
  uniforms: { n: "u32", seed: "u32", stream: "u32", step: "u32", p: "f32" },
  body: `${COUNTER_RNG_WGSL}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= p.n) { return; }
  out[2u * i] = noise_bits(p.seed, p.stream, p.step, i);
  out[2u * i + 1u] = select(0u, 1u, dropout_keeps(p.seed, p.step, i, p.p));
}`,
}));

Deno.test("the WGSL twin draws exactly the CPU's bits and dropout decisions", async () => {
  const n = 1000;
  for (const [seed, stream, step, p] of [[1, 3, 0, 0.25], [0xfffffff0, 1, 98765, 0.5]]) {
    const out = device.pool.acquire(2 * n * 4);
    device.run(twinKernel, {}, { out }, { n, seed, stream, step, p }, [Math.ceil(n / 64)]);
    const got = new Uint32Array(await device.read(out, 0, 2 * n * 4));
    device.pool.release(out);
    for (let i = 0; i < n; i++) {
      assert.equal(got[2 * i], noiseBits(seed, stream, step, i), `bits of unit ${i}`);
      assert.equal(got[2 * i + 1] === 1, dropoutKeeps(seed, step, i, p), `keep of unit ${i}`);
    }
  }
});

Deno.test("uniforms are uniform, streams and steps independent", () => {
  const n = 40000;
  const bins = new Array(10).fill(0);
  let same = 0;
  for (let i = 0; i < n; i++) {
    const u = noiseUniform(42, COUNTER_STREAM.dropout, 3, i);
    bins[Math.floor(u * 10)]++;
    if ((u < 0.5) === (noiseUniform(42, COUNTER_STREAM.shiftRows, 3, i) < 0.5)) same++;
  }
  for (const count of bins) assert.ok(Math.abs(count - n / 10) < 5 * Math.sqrt(n / 10), `${bins}`);
  assert.ok(Math.abs(same / n - 0.5) < 0.02, `streams agree on ${same / n} of halves`);
});
