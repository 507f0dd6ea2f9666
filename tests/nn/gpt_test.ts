import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import {
  Gpt,
  gptConfig,
  type GptConfigInput,
  gptCounts,
  gptInitialParameters,
  gptParameterLayout,
} from "../../lib/nn/mod.ts";
import { referenceGptLoss } from "./gpt_reference.ts";
import { backward, noGrad, tensor } from "../../lib/ops/mod.ts";
import { Rng } from "../../lib/random/xoshiro.ts";

const BASE = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 37 } as const;

function batchOf(seed: number, batch: number, context: number, vocab: number) {
  const rng = new Rng(seed);
  const inputs = Int32Array.from({ length: batch * context }, () => rng.int(vocab));
  const targets = Int32Array.from({ length: batch * context }, () => rng.int(vocab));
  return { inputs, targets };
}

/** max |a − b| / max |b|: the error relative to the gradient's scale. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? err : err / scale;
}

/** Loss and every gradient of the WebGPU GPT equal the float64 reference to 1e-4 relative. */
async function checkAgainstReference(input: GptConfigInput, batch: number, context: number) {
  await gpu();
  const config = gptConfig(input);
  const values = gptInitialParameters(config, 3);
  // Perturb gains and biases so every parameter matters to the check.
  const rng = new Rng(11);
  for (const spec of gptParameterLayout(config)) {
    if (spec.decay) continue;
    const v = values.get(spec.name)!;
    for (let i = 0; i < v.length; i++) v[i] += 0.1 * rng.normal();
  }
  const { inputs, targets } = batchOf(5, batch, context, config.vocabSize);
  const expected = referenceGptLoss(config, values, inputs, targets, batch, context);
  const model = Gpt.fromValues(config, values);
  try {
    const loss = model.loss(
      tensor(inputs, [batch, context], { dtype: "i32" }),
      tensor(targets, [batch, context], { dtype: "i32" }),
    );
    backward(loss);
    const got = await loss.item();
    loss.dispose();
    assert.ok(
      Math.abs(got - expected.loss) <= 1e-4 * Math.abs(expected.loss),
      `loss ${got} vs reference ${expected.loss}`,
    );
    for (const [name, param] of model.params) {
      const grad = await param.grad!.toArray();
      const err = relativeError(grad, expected.grads.get(name)!);
      assert.ok(err <= 1e-4, `${name}: gradient relative error ${err.toExponential(2)}`);
    }
  } finally {
    model.dispose();
  }
}

Deno.test("GPT loss and gradients match the float64 reference (nanoGPT architecture)", async () => {
  await checkAgainstReference(BASE, 2, 8);
});

Deno.test("GPT matches the reference with a shorter context than block size", async () => {
  await checkAgainstReference(BASE, 3, 5);
});

Deno.test("GPT matches the reference: post-LN, ReLU, untied head, sinusoidal, no biases", async () => {
  await checkAgainstReference(
    {
      ...BASE,
      nHead: 4,
      norm: "post",
      activation: "relu",
      tiedHead: false,
      positions: "sinusoidal",
      bias: false,
    },
    2,
    8,
  );
});

Deno.test("parameter counts from lib/scaling equal the layout's sum for every switch", () => {
  for (
    const extra of [
      {},
      { bias: false },
      { positions: "sinusoidal" as const },
      { tiedHead: false },
      { bias: false, positions: "sinusoidal" as const, tiedHead: false },
    ]
  ) {
    const config = gptConfig({ ...BASE, ...extra });
    const layoutTotal = gptParameterLayout(config)
      .reduce((n, spec) => n + spec.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(gptCounts(config).total, layoutTotal, JSON.stringify(extra));
  }
});

Deno.test("dropout is applied in training mode only and is seeded", async () => {
  await gpu();
  const config = gptConfig({ ...BASE, dropout: 0.2 });
  const model = Gpt.create(config, 1);
  const { inputs, targets } = batchOf(2, 2, 8, config.vocabSize);
  const run = (options: Parameters<Gpt["loss"]>[2]) =>
    noGrad(() =>
      model.loss(
        tensor(inputs, [2, 8], { dtype: "i32" }),
        tensor(targets, [2, 8], { dtype: "i32" }),
        options,
      ).item()
    );
  try {
    const evalA = await run({});
    const evalB = await run({ training: false, step: 3 });
    const trainA = await run({ training: true, dropoutSeed: 4, step: 1 });
    const trainB = await run({ training: true, dropoutSeed: 4, step: 1 });
    const trainC = await run({ training: true, dropoutSeed: 4, step: 2 });
    assert.equal(evalA, evalB);
    assert.equal(trainA, trainB);
    assert.notEqual(trainA, evalA);
    assert.notEqual(trainA, trainC);
  } finally {
    model.dispose();
  }
});

Deno.test("bad inputs are one clear error", async () => {
  await gpu();
  const model = Gpt.create(gptConfig(BASE), 0);
  try {
    assert.throws(
      () => model.logits(tensor(new Int32Array(18), [2, 9], { dtype: "i32" })),
      /context 9 exceeds the model's blockSize 8/,
    );
    assert.throws(() => model.logits(tensor([1, 2], [2])), /inputs must be i32 token ids/);
  } finally {
    model.dispose();
  }
  assert.throws(() => gptConfig({ ...BASE, nHead: 3 }), /divisible by nHead/);
  assert.throws(
    () => gptConfig({ ...BASE, norm: "middle" as "pre" }),
    /norm must be "pre" or "post"/,
  );
});
