/**
 * End-to-end: small models built from the kernels, autograd and AdamW fit toy tasks.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { AdamW } from "../../lib/optim/mod.ts";
import {
  add,
  backward,
  causalSelfAttention,
  crossEntropy,
  embedding,
  linear,
  randn,
  tanh,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

await gpu();

/** Trains `parameters` on `lossOf` with AdamW for `steps` steps; returns the last loss. */
async function fit(parameters: Tensor[], lossOf: () => Tensor, steps: number, lr: number) {
  const opt = new AdamW(parameters, { lr, weightDecay: 0 });
  let last = Infinity;
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = tidy(() => {
      const value = lossOf();
      backward(value);
      return value;
    });
    opt.step();
    if (step === steps - 1) last = await loss.item();
    loss.dispose();
  }
  opt.dispose();
  for (const p of parameters) p.dispose();
  return last;
}

Deno.test("a two-layer tanh MLP fits XOR-like clusters to low cross-entropy", async () => {
  const rng = new Rng(3);
  const points = 64;
  const x = new Float32Array(points * 2);
  const labels = new Int32Array(points);
  for (let i = 0; i < points; i++) {
    const a = i % 2, b = (i >> 1) % 2;
    x[2 * i] = (a ? 1 : -1) + 0.2 * rng.normal();
    x[2 * i + 1] = (b ? 1 : -1) + 0.2 * rng.normal();
    labels[i] = a ^ b;
  }
  const inputs = tensor(x, [points, 2]);
  const targets = tensor(labels, [points], { dtype: "i32" });
  const w1 = randn([16, 2], { seed: 1, std: 0.5, requiresGrad: true });
  const b1 = zeros([16], { requiresGrad: true });
  const w2 = randn([2, 16], { seed: 2, std: 0.5, requiresGrad: true });
  const b2 = zeros([2], { requiresGrad: true });
  const loss = await fit(
    [w1, b1, w2, b2],
    () => crossEntropy(linear(tanh(linear(inputs, w1, b1)), w2, b2), targets),
    150,
    0.05,
  );
  inputs.dispose();
  targets.dispose();
  assert.ok(loss < 0.05, `final loss ${loss}`);
});

Deno.test("a one-layer attention model learns to predict the previous token", async () => {
  const vocab = 8, context = 8, batch = 16, width = 16;
  const rng = new Rng(5);
  const ids = new Int32Array(batch * context);
  const next = new Int32Array(batch * context);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(rng.uniform() * vocab);
  for (let i = 0; i < ids.length; i++) next[i] = i % context === 0 ? -100 : ids[i - 1];
  const tokens = tensor(ids, [batch, context], { dtype: "i32" });
  const targets = tensor(next, [batch, context], { dtype: "i32" });
  const wte = randn([vocab, width], { seed: 1, std: 0.5, requiresGrad: true });
  const wpe = randn([context, width], { seed: 2, std: 0.5, requiresGrad: true });
  const wqkv = randn([3 * width, width], { seed: 3, std: 0.3, requiresGrad: true });
  const bqkv = zeros([3 * width], { requiresGrad: true });
  const head = randn([vocab, width], { seed: 4, std: 0.3, requiresGrad: true });
  const loss = await fit(
    [wte, wpe, wqkv, bqkv, head],
    () => {
      const h = add(embedding(wte, tokens), wpe);
      const attended = causalSelfAttention(linear(h, wqkv, bqkv), 1);
      return crossEntropy(linear(attended, head), targets);
    },
    300,
    0.03,
  );
  tokens.dispose();
  targets.dispose();
  assert.ok(loss < 0.1, `final loss ${loss} (chance is ln 8 = 2.08)`);
});
