import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { Gpt, gptConfig, type GptConfigInput, PackedGpt } from "../../lib/nn/mod.ts";
import { backward, tensor } from "../../lib/tensor/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

const BASE = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 37 } as const;

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}

/** Trial p of a packed model computes the loss and gradients of a Gpt with its parameters. */
async function checkPacked(input: GptConfigInput, seeds: number[], batch: number, context: number) {
  await gpu();
  const config = gptConfig(input);
  const packed = PackedGpt.create(config, seeds);
  const rng = new Rng(9);
  const n = seeds.length * batch * context;
  const inputs = Int32Array.from({ length: n }, () => rng.int(config.vocabSize));
  const targets = Int32Array.from({ length: n }, () => rng.int(config.vocabSize));
  try {
    packed.zeroGrad();
    const { total, perTrial } = packed.loss(inputs, targets, batch, context);
    backward(total);
    const losses = Array.from(await perTrial.toArray());
    const sum = await total.item();
    total.dispose();
    perTrial.dispose();
    assert.ok(Math.abs(sum - losses.reduce((a, b) => a + b, 0)) < 1e-4 * sum);
    for (let p = 0; p < seeds.length; p++) {
      const model = Gpt.create(config, seeds[p]);
      try {
        const rows = batch * context;
        const slice = (a: Int32Array) => a.slice(p * rows, (p + 1) * rows);
        const loss = model.loss(
          tensor(slice(inputs), [batch, context], { dtype: "i32" }),
          tensor(slice(targets), [batch, context], { dtype: "i32" }),
        );
        backward(loss);
        const expected = await loss.item();
        loss.dispose();
        assert.ok(
          Math.abs(losses[p] - expected) <= 1e-5 * expected,
          `trial ${p}: loss ${losses[p]} vs ${expected}`,
        );
        for (const [name, param] of model.params) {
          const all = (await packed.params.get(name)!.grad!.toArray()) as Float32Array;
          const size = param.size;
          const mine = all.subarray(p * size, (p + 1) * size);
          const err = relativeError(mine, await param.grad!.toArray());
          assert.ok(err <= 1e-4, `trial ${p} ${name}: gradient relative error ${err}`);
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    packed.dispose();
  }
}

Deno.test("packed trials compute each trial's own loss and gradients", async () => {
  await checkPacked(BASE, [3, 4, 5], 2, 8);
});

Deno.test("packed trials match with every architecture switch and a shorter context", async () => {
  await checkPacked(
    {
      ...BASE,
      norm: "post",
      activation: "relu",
      tiedHead: false,
      positions: "sinusoidal",
      bias: false,
    },
    [1, 2],
    2,
    6,
  );
  await checkPacked(BASE, [7, 8], 3, 5);
});

Deno.test("trialValues returns the values a single model of that seed starts from", async () => {
  await gpu();
  const config = gptConfig(BASE);
  const packed = PackedGpt.create(config, [11, 12]);
  const single = Gpt.create(config, 12);
  try {
    const fromPacked = await packed.trialValues(1);
    const fromSingle = await single.values();
    for (const [name, values] of fromSingle) assert.deepEqual(fromPacked.get(name), values, name);
    await assert.rejects(() => packed.trialValues(2), /trial 2 is out of range 0\.\.1/);
  } finally {
    packed.dispose();
    single.dispose();
  }
  assert.throws(
    () => PackedGpt.create(gptConfig({ ...BASE, dropout: 0.1 }), [0]),
    /needs dropout 0/,
  );
});
