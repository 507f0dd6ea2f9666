import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { fixedWindowBatches } from "../../lib/data/text/windows.ts";
import { gptConfig } from "../../lib/nn/mod.ts";
import { learningRateSchedule, resolveTrainHyper, trainGpt } from "../../lib/train/mod.ts";

const CONFIG = gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 256 });
const TEXT = new TextEncoder().encode(
  "the quick brown fox jumps over the lazy dog. ".repeat(40),
);
const VALIDATION = fixedWindowBatches(TEXT.subarray(0, 400), { context: 16, batch: 8 });

function run(seeds: number[], steps = 30, lr = 1e-2) {
  return trainGpt({
    config: CONFIG,
    runs: seeds.map((seed) => ({
      train: TEXT,
      validation: VALIDATION,
      steps,
      batch: 4,
      lr,
      seed,
      logInterval: 5,
      evalInterval: 15,
    })),
  });
}

Deno.test("same seed gives bitwise the same loss curve; the loss falls", async () => {
  await gpu();
  const runs = [await run([3]), await run([3]), await run([4])];
  for (const r of runs) r.model.dispose();
  const [a, b, c] = runs.map((r) => r.results[0]);
  assert.deepEqual(a.history.map((p) => p.trainLoss), b.history.map((p) => p.trainLoss));
  assert.equal(a.valLoss, b.valLoss);
  assert.notDeepEqual(a.history.map((p) => p.trainLoss), c.history.map((p) => p.trainLoss));
  assert.equal(a.history.length, 6);
  assert.ok(
    a.history[0].trainLoss > a.trainLoss + 0.5,
    `loss ${a.history[0].trainLoss} → ${a.trainLoss}`,
  );
  assert.ok(a.history[0].trainLoss < Math.log(256) + 0.3);
  assert.equal(a.history.filter((p) => p.valLoss !== undefined).length, 2);
  assert.equal(a.tokens, 30 * 4 * 16);
  assert.ok(a.tokensPerSecond > 0 && a.flopsPerSecond > 0);
  assert.equal(a.diverged, null);
  assert.equal(a.packSize, 1);
  assert.ok(Math.abs(a.valBitsPerByte - a.valLoss / Math.LN2) < 1e-12);
});

Deno.test("runs trained together give each run the curve it gets alone", async () => {
  await gpu();
  const alone = [await run([3]), await run([4])];
  const together = await run([3, 4]);
  for (const r of [...alone, together]) r.model.dispose();
  together.results.forEach((result, k) => {
    const single = alone[k].results[0];
    assert.equal(result.packSize, 2);
    assert.equal(result.history.length, single.history.length);
    result.history.forEach((point, i) => {
      const expected = single.history[i];
      assert.equal(point.step, expected.step);
      assert.ok(
        Math.abs(point.trainLoss - expected.trainLoss) < 1e-4,
        `run ${k} step ${point.step}: ${point.trainLoss} vs ${expected.trainLoss}`,
      );
    });
    assert.ok(Math.abs(result.valLoss - single.valLoss) < 1e-4);
  });
});

Deno.test("a huge learning rate is detected as divergence and stops only that run", async () => {
  await gpu();
  const base = {
    train: TEXT,
    validation: VALIDATION,
    steps: 200,
    batch: 4,
    seed: 0,
    logInterval: 5,
    maxGradNorm: 0,
    optimizer: "sgd" as const,
  };
  const ended: number[] = [];
  const result = await trainGpt({
    config: CONFIG,
    runs: [
      { ...base, lr: 50, onEnd: () => ended.push(0) },
      { ...base, lr: 1e-2, steps: 40, onEnd: () => ended.push(1) },
    ],
  });
  result.model.dispose();
  const [wild, tame] = result.results;
  assert.match(wild.diverged ?? "", /training loss .* at step \d+/);
  assert.ok(wild.steps < 200);
  assert.equal(tame.diverged, null);
  assert.equal(tame.steps, 40);
  assert.deepEqual([...ended].sort(), [0, 1]);
});

Deno.test("warmup then cosine decay to 10% of the peak at the last step", () => {
  const hyper = resolveTrainHyper({ steps: 1000, batch: 1, lr: 1e-3, seed: 0 }, 256);
  const lr = learningRateSchedule(hyper);
  assert.equal(hyper.warmupSteps, 50);
  assert.ok(lr(0) < 1e-4);
  assert.equal(lr(50), 1e-3);
  assert.ok(Math.abs(lr(999) - 1e-4) < 1e-15);
  assert.ok(lr(500) < 1e-3 && lr(500) > 1e-4);
  const constant = learningRateSchedule({ ...hyper, schedule: "constant" });
  assert.equal(constant(0), 1e-3);
  assert.equal(constant(999), 1e-3);
});

Deno.test("bad hyperparameters are one clear error", () => {
  assert.throws(
    () => resolveTrainHyper({ steps: 0, batch: 1, lr: 1, seed: 0 }, 256),
    /steps must be an integer ≥ 1/,
  );
  assert.throws(
    () => resolveTrainHyper({ steps: 1, batch: 1, lr: -1, seed: 0 }, 256),
    /lr must be a positive/,
  );
  assert.throws(
    () =>
      resolveTrainHyper(
        { steps: 1, batch: 1, lr: 1, seed: 0, schedule: "linear" as "cosine" },
        256,
      ),
    /schedule must be "cosine" or "constant"/,
  );
});
