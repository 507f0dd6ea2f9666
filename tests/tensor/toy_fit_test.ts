/**
 * End-to-end: small models built from the kernels, autograd and AdamW (over a one-run
 * parameter slab) fit toy tasks.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { adamW, ParameterSlab } from "../../lib/optim/mod.ts";
import {
  add,
  backward,
  causalSelfAttention,
  crossEntropy,
  embedding,
  linear,
  tanh,
  type Tensor,
  tensor,
  tidy,
} from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

await gpu();

/** A parameter of the toy models: its shape and its initial values. */
interface ToyParameter {
  shape: number[];
  /** Normal with this standard deviation (seeded), or zeros when 0. */
  std: number;
  seed: number;
}

function initialValues(p: ToyParameter): Float32Array {
  const values = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
  const rng = new Rng(p.seed);
  if (p.std > 0) { for (let i = 0; i < values.length; i++) values[i] = p.std * rng.normal(); }
  return values;
}

/**
 * Trains the parameters (in one slab, one run) on `lossOf` with AdamW for `steps` steps;
 * returns the last loss.
 */
async function fit(
  parameters: Record<string, ToyParameter>,
  lossOf: (p: Record<string, Tensor>) => Tensor,
  steps: number,
  lr: number,
) {
  const names = Object.keys(parameters);
  const slab = ParameterSlab.create(
    names.map((name) => ({ name, shape: parameters[name].shape, decay: false })),
    1,
    (p) => initialValues(parameters[p.name]),
  );
  const views = Object.fromEntries(names.map((name) => [name, slab.param(name, { single: true })]));
  const opt = adamW(slab, { lr, weightDecay: 0 });
  let last = Infinity;
  for (let step = 0; step < steps; step++) {
    const loss = tidy(() => {
      const value = lossOf(views);
      backward(value);
      return value;
    });
    opt.step();
    if (step === steps - 1) last = await loss.item();
    loss.dispose();
  }
  opt.dispose();
  slab.dispose();
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
  const loss = await fit(
    {
      w1: { shape: [16, 2], std: 0.5, seed: 1 },
      b1: { shape: [16], std: 0, seed: 0 },
      w2: { shape: [2, 16], std: 0.5, seed: 2 },
      b2: { shape: [2], std: 0, seed: 0 },
    },
    (p) => crossEntropy(linear(tanh(linear(inputs, p.w1, p.b1)), p.w2, p.b2), targets),
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
  const loss = await fit(
    {
      wte: { shape: [vocab, width], std: 0.5, seed: 1 },
      wpe: { shape: [context, width], std: 0.5, seed: 2 },
      wqkv: { shape: [3 * width, width], std: 0.3, seed: 3 },
      bqkv: { shape: [3 * width], std: 0, seed: 0 },
      head: { shape: [vocab, width], std: 0.3, seed: 4 },
    },
    (p) => {
      const h = add(embedding(p.wte, tokens), p.wpe);
      const attended = causalSelfAttention(linear(h, p.wqkv, p.bqkv), 1);
      return crossEntropy(linear(attended, p.head), targets);
    },
    300,
    0.03,
  );
  tokens.dispose();
  targets.dispose();
  assert.ok(loss < 0.1, `final loss ${loss} (chance is ln 8 = 2.08)`);
});
