import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import {
  Gpt,
  gptConfig,
  type GptConfigInput,
  gptCounts,
  gptInitialParameters,
  gptParameterLayout,
  gptStepDispatches,
} from "../../lib/nn/mod.ts";
import { referenceGptLoss } from "./gpt_reference.ts";
import * as T from "../../lib/ops/mod.ts";
import { Optimizer } from "../../lib/optim/mod.ts";
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

/** The mean loss of each run and every parameter's gradient after one training forward/backward. */
async function lossAndGrads(
  model: Gpt,
  inputs: Int32Array,
  targets: Int32Array,
  batch: number,
  context: number,
  options: { dropout?: { seed: number; p: number }[]; step?: number } = {},
): Promise<{ losses: number[]; grads: Map<string, Float32Array>[] }> {
  const rows = batch * context;
  const losses = T.empty([model.runs * rows], "f32");
  model.forward(inputs, targets, { batch, context }, {
    training: true,
    losses,
    lossOffset: 0,
    ...options,
  });
  model.backward({ batch, context });
  const perRow = (await losses.toArray()) as Float32Array;
  losses.dispose();
  const all = (await model.slab.grads.toArray()) as Float32Array;
  const grads = Array.from({ length: model.runs }, (_, r) => {
    const out = new Map<string, Float32Array>();
    for (const region of model.slab.regions) {
      const start = region.offset + r * region.size;
      out.set(region.name, all.slice(start, start + region.size));
    }
    return out;
  });
  const mean = (r: number) =>
    perRow.slice(r * rows, (r + 1) * rows).reduce((x, y) => x + y, 0) / rows;
  return { losses: Array.from({ length: model.runs }, (_, r) => mean(r)), grads };
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
    const { losses: [got], grads: [grads] } = await lossAndGrads(
      model,
      inputs,
      targets,
      batch,
      context,
    );
    assert.ok(
      Math.abs(got - expected.loss) <= 1e-4 * Math.abs(expected.loss),
      `loss ${got} vs reference ${expected.loss}`,
    );
    for (const [name, grad] of grads) {
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

Deno.test("a run trained in a pack computes what it computes alone (R = 1, 3, 8)", async () => {
  await gpu();
  const config = gptConfig({ ...BASE, dropout: 0 });
  const batch = 2, context = 8, rows = batch * context;
  for (const runs of [1, 3, 8]) {
    const seeds = Array.from({ length: runs }, (_, r) => 10 + r);
    const dropout = seeds.map((seed, r) => ({ seed, p: r % 2 === 0 ? 0.25 : 0 }));
    const data = seeds.map((seed) => batchOf(seed, batch, context, config.vocabSize));
    const inputs = new Int32Array(runs * rows), targets = new Int32Array(runs * rows);
    data.forEach((d, r) => {
      inputs.set(d.inputs, r * rows);
      targets.set(d.targets, r * rows);
    });
    const packed = Gpt.create(config, seeds);
    const together = await lossAndGrads(packed, inputs, targets, batch, context, {
      dropout,
      step: 3,
    });
    packed.dispose();
    for (let r = 0; r < runs; r++) {
      const alone = Gpt.create(config, seeds[r]);
      const solo = await lossAndGrads(alone, data[r].inputs, data[r].targets, batch, context, {
        dropout: [dropout[r]],
        step: 3,
      });
      alone.dispose();
      const lossErr = Math.abs(together.losses[r] - solo.losses[0]) / Math.abs(solo.losses[0]);
      assert.ok(
        lossErr <= 1e-6,
        `R = ${runs}, run ${r}: loss ${together.losses[r]} vs ${solo.losses[0]}`,
      );
      for (const [name, grad] of solo.grads[0]) {
        const err = relativeError(together.grads[r].get(name)!, grad);
        assert.ok(
          err <= 1e-6,
          `R = ${runs}, run ${r}, ${name}: relative error ${err.toExponential(2)}`,
        );
      }
    }
  }
});

Deno.test("dropout is applied in training only, per run, and seeded", async () => {
  await gpu();
  const config = gptConfig(BASE);
  const model = Gpt.create(config, 1);
  const { inputs, targets } = batchOf(2, 2, 8, config.vocabSize);
  const losses = T.empty([16], "f32");
  const mean = async () => {
    const v = (await losses.toArray()) as Float32Array;
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const run = async (training: boolean, dropout?: { seed: number; p: number }[], step = 0) => {
    model.forward(inputs, targets, { batch: 2, context: 8 }, {
      training,
      dropout,
      step,
      losses,
      lossOffset: 0,
    });
    if (training) model.backward({ batch: 2, context: 8 });
    return await mean();
  };
  try {
    const evalA = await run(false, [{ seed: 4, p: 0.2 }]);
    const evalB = await run(false);
    const trainA = await run(true, [{ seed: 4, p: 0.2 }], 1);
    const trainB = await run(true, [{ seed: 4, p: 0.2 }], 1);
    const trainC = await run(true, [{ seed: 4, p: 0.2 }], 2);
    const noDrop = await run(true, [{ seed: 4, p: 0 }], 1);
    assert.equal(evalA, evalB);
    assert.equal(trainA, trainB);
    assert.notEqual(trainA, evalA);
    assert.notEqual(trainA, trainC);
    assert.equal(noDrop, evalA);
  } finally {
    losses.dispose();
    model.dispose();
  }
});

Deno.test("a step of the default architecture records 11 + 21 dispatches per layer at any R", async () => {
  const device = await gpu();
  for (const [layers, runs] of [[1, 1], [2, 1], [2, 8]]) {
    const config = gptConfig({ ...BASE, nLayer: layers });
    const model = Gpt.create(config, Array.from({ length: runs }, (_, r) => r));
    const optimizer = new Optimizer(model.slab, "adamw", { lr: 1e-3, maxGradNorm: 1 });
    const { inputs, targets } = batchOf(3, 2 * runs, 8, config.vocabSize);
    const losses = T.empty([runs * 16], "f32");
    const step = () => {
      model.forward(inputs, targets, { batch: 2, context: 8 }, {
        training: true,
        losses,
        lossOffset: 0,
      });
      model.backward({ batch: 2, context: 8 });
      optimizer.step();
    };
    step();
    const before = device.dispatchCount;
    step();
    assert.equal(device.dispatchCount - before, gptStepDispatches(config));
    assert.equal(gptStepDispatches(config), 11 + 21 * layers);
    await device.sync();
    for (const t of [losses]) t.dispose();
    optimizer.dispose();
    model.dispose();
  }
});

Deno.test("bad inputs are one clear error", async () => {
  await gpu();
  const model = Gpt.create(gptConfig(BASE), [0, 1]);
  const losses = T.empty([64], "f32");
  try {
    assert.throws(
      () =>
        model.forward(new Int32Array(36), new Int32Array(36), { batch: 2, context: 9 }, {
          training: false,
          losses,
          lossOffset: 0,
        }),
      /context 9 must be an integer from 1 to the model's blockSize 8/,
    );
    assert.throws(
      () =>
        model.forward(new Int32Array(16), new Int32Array(16), { batch: 2, context: 8 }, {
          training: false,
          losses,
          lossOffset: 0,
        }),
      /expected 32 ids and targets \(2 runs × 2 × 8\)/,
    );
    assert.throws(() => model.backward({ batch: 1, context: 4 }), /needs a training forward/);
  } finally {
    losses.dispose();
    model.dispose();
  }
  assert.throws(() => gptConfig({ ...BASE, nHead: 3 }), /divisible by nHead/);
  assert.throws(
    () => gptConfig({ ...BASE, norm: "middle" as "pre" }),
    /norm must be "pre" or "post"/,
  );
});
