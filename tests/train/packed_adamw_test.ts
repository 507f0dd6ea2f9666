import assert from "node:assert/strict";
import { assertClose, gpu, randomArray } from "../helpers/check.ts";
import { packedAdamwReference } from "../../kernels/packed_adamw.ts";
import { gptConfig, PackedGpt } from "../../lib/nn/mod.ts";
import { PackedAdamW } from "../../lib/train/packed_adamw.ts";

Deno.test("packed AdamW: per-trial learning rates and clipping match the float64 reference", async () => {
  const runtime = await gpu();
  const config = gptConfig({ nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 4, vocabSize: 11 });
  const seeds = [1, 2, 3];
  const model = PackedGpt.create(config, seeds);
  const lrs = [1e-2, 3e-3, 5e-2];
  const hyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8 };
  const optimizer = new PackedAdamW(model, {
    lr: lrs.map((lr) => (step: number) => lr * (step + 1)),
    weightDecay: 0.1,
    ...hyper,
    maxGradNorm: 1,
  });
  try {
    const names = model.layout.map((s) => s.name);
    const decay = model.layout.map((s) => (s.decay ? 0.1 : 0));
    const perTrial = await Promise.all(seeds.map((_, p) => model.trialValues(p)));
    const values = names.map((name) => {
      const n = perTrial[0].get(name)!.length;
      const all = new Float64Array(n * seeds.length);
      perTrial.forEach((v, p) => all.set(v.get(name)!, p * n));
      return all;
    });
    const m = values.map((v) => new Float64Array(v.length));
    const v2 = values.map((v) => new Float64Array(v.length));
    for (let step = 1; step <= 2; step++) {
      // Trial 0 gets large gradients (clipped), trial 1 tiny ones (not clipped), trial 2 medium.
      const grads = values.map((v, k) => {
        const g = randomArray(v.length, 100 * step + k);
        const n = v.length / seeds.length;
        for (let i = 0; i < v.length; i++) g[i] *= [3, 1e-3, 0.3][Math.floor(i / n)];
        return g;
      });
      const slab = new Float32Array(model.slab.total);
      grads.forEach((g, k) => slab.set(g, model.slab.offsets[k]));
      runtime.write(model.grads.buffer, slab);
      optimizer.step();
      const scheduled = lrs.map((lr) => lr * step);
      const norms = packedAdamwReference(values, grads, m, v2, decay, scheduled, step, hyper, 1);
      assert.ok(norms[0] > 1 && norms[1] < 1, `norms ${norms}`);
      assertClose(await optimizer.lastGradNorms(), norms, { rtol: 1e-5, what: "norms" });
    }
    const after = (await model.values.toArray()) as Float32Array;
    names.forEach((name, k) => {
      const got = after.subarray(model.slab.offsets[k], model.slab.offsets[k] + values[k].length);
      assertClose(got, values[k], { atol: 1e-6, rtol: 1e-5, what: name });
    });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

Deno.test("packed AdamW needs one schedule per trial", async () => {
  await gpu();
  const model = PackedGpt.create(
    gptConfig({ nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 4, vocabSize: 11 }),
    [0, 1],
  );
  try {
    assert.throws(
      () => new PackedAdamW(model, { lr: [() => 1], weightDecay: 0, beta1: 0.9, beta2: 0.95 }),
      /1 learning-rate schedules for 2 trials/,
    );
  } finally {
    model.dispose();
  }
});
