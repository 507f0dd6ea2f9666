import assert from "node:assert/strict";
import {
  DATA_SCALING,
  findVariant,
  LADDER,
  lecunConfig,
  outputBiasInit,
  passLearningRate,
  validateConfig,
} from "../../lib/lecun/config.ts";

Deno.test("the baseline is the 1989 recipe", () => {
  const c = lecunConfig("baseline");
  assert.equal(c.loss, "mse");
  assert.equal(c.optimizer, "sgd");
  assert.equal(c.lr, 0.03);
  assert.equal(c.activation, "tanh");
  assert.equal(c.passes, 23);
  assert.equal(c.trainSize, 7291);
  assert.equal(c.augment, false);
  assert.equal(c.dropout, 0);
  assert.equal(outputBiasInit(c.loss), -1);
});

Deno.test("each ladder step adds to the one before", () => {
  const [base, ce, adamw, augment, modern] = LADDER.map((v) => v.config);
  assert.deepEqual({ ...base, loss: "ce", lr: 0.01, lrEnd: 0.01 }, ce);
  assert.deepEqual({
    ...ce,
    optimizer: "adamw",
    lr: 3e-4,
    lrEnd: 1e-4,
    weightDecay: 0.01,
    passes: 46,
  }, adamw);
  assert.deepEqual({ ...adamw, augment: true, passes: 60 }, augment);
  assert.deepEqual({ ...augment, activation: "relu", dropout: 0.25, passes: 80 }, modern);
  const [big, bigModern] = DATA_SCALING.map((v) => v.config);
  assert.deepEqual({ ...base, trainSize: 50000, passes: 100 }, big);
  assert.deepEqual({ ...modern, trainSize: 50000, passes: 100 }, bigModern);
  assert.equal(findVariant("baseline").published.reproTest, 4.09);
});

Deno.test("learning rate decays linearly over the passes", () => {
  const c = lecunConfig("adamw");
  assert.equal(passLearningRate(c, 0), 3e-4);
  assert.ok(Math.abs(passLearningRate(c, 45) - 1e-4) < 1e-12);
  assert.ok(Math.abs(passLearningRate(c, 22.5) - 2e-4) < 1e-12);
  assert.equal(passLearningRate(lecunConfig("baseline", { lr: 0.1 }), 10), 0.1);
});

Deno.test("every factor is a switch, and bad values are one-line errors", () => {
  const c = lecunConfig("baseline", {
    activation: "relu",
    dropout: 0.5,
    width: 0.5,
    augment: true,
  });
  assert.equal(c.activation, "relu");
  assert.equal(c.width, 0.5);
  const bad: [() => unknown, RegExp][] = [
    [
      () => lecunConfig("newest"),
      /unknown variant "newest" \(expected one of: baseline, ce, adamw/,
    ],
    [
      () => lecunConfig("baseline", { trainSize: 60001 }),
      /train size must be an integer from 1 to 60000, got 60001/,
    ],
    [() => lecunConfig("baseline", { passes: 0 }), /passes must be an integer/],
    [() => lecunConfig("baseline", { lr: -1 }), /lr must be a number in \(0, 10\]/],
    [() => lecunConfig("baseline", { dropout: 1 }), /dropout must be a number in \[0, 0.95\]/],
    [() => lecunConfig("baseline", { width: 0.1 }), /4 × width/],
    [
      () => validateConfig({ ...lecunConfig("baseline"), loss: "l1" as "mse" }),
      /loss must be one of mse\|ce, got "l1"/,
    ],
    [() => lecunConfig("baseline", { seed: -3 }), /seed must be an integer/],
  ];
  for (const [f, pattern] of bad) {
    assert.throws(f, (e: Error) => pattern.test(e.message) && !e.message.includes("\n"));
  }
});
