import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { fixedWindowBatches } from "../../lib/data/text/windows.ts";
import { gptConfig } from "../../lib/nn/mod.ts";
import { trainGpt, trainGptPacked } from "../../lib/train/mod.ts";

const CONFIG = gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 256 });
const TEXT_A = new TextEncoder().encode("the quick brown fox jumps over the lazy dog. ".repeat(40));
const TEXT_B = new TextEncoder().encode("pack my box with five dozen liquor jugs! ".repeat(40));
const VALIDATION = fixedWindowBatches(TEXT_A.subarray(0, 400), { context: 16, batch: 8 });
const RECIPE = { steps: 20, batch: 4, logInterval: 5, evalInterval: 10 };

Deno.test("packed trials follow the loss curves of the same runs trained one by one", async () => {
  await gpu();
  const trials = [
    { seed: 1, lr: 1e-2, train: TEXT_A },
    { seed: 2, lr: 3e-3, train: TEXT_B },
  ];
  const packed = await trainGptPacked({
    config: CONFIG,
    trials,
    validation: VALIDATION,
    ...RECIPE,
  });
  for (const [k, trial] of trials.entries()) {
    const single = await trainGpt({ config: CONFIG, validation: VALIDATION, ...RECIPE, ...trial });
    single.model.dispose();
    const a = packed[k].history, b = single.history;
    assert.equal(a.length, b.length);
    a.forEach((point, i) => {
      assert.equal(point.step, b[i].step);
      assert.ok(
        Math.abs(point.trainLoss - b[i].trainLoss) < 1e-3,
        `trial ${k} step ${point.step}: ${point.trainLoss} vs ${b[i].trainLoss}`,
      );
    });
    assert.ok(Math.abs(packed[k].valLoss - single.valLoss) < 1e-3);
    assert.equal(packed[k].packedTrials, 2);
    assert.equal(packed[k].tokens, single.tokens);
  }
  assert.notEqual(packed[0].trainLoss, packed[1].trainLoss);
});

Deno.test("a diverging packed trial stops while the others finish", async () => {
  await gpu();
  const results = await trainGptPacked({
    config: CONFIG,
    trials: [
      { seed: 1, lr: 1e-2, train: TEXT_A },
      { seed: 1, lr: 1e4, train: TEXT_A },
    ],
    validation: VALIDATION,
    ...RECIPE,
    maxGradNorm: 0,
    divergenceLoss: 6,
  });
  assert.equal(results[0].diverged, null);
  assert.equal(results[0].steps, 20);
  assert.match(results[1].diverged ?? "", /training loss/);
  assert.ok(results[1].steps < 20);
});
