import assert from "node:assert/strict";
import { huberDerivative, huberLoss } from "../../lib/scaling/mod.ts";
import { checkResidualLoss, residualLossSum } from "../../lib/scaling/residual_loss.ts";

Deno.test("Huber loss is quadratic within δ and linear beyond, continuous at ±δ", () => {
  const delta = 1e-3;
  assert.equal(huberLoss(5e-4, delta), 0.5 * 5e-4 * 5e-4);
  assert.equal(huberLoss(-0.01, delta), delta * (0.01 - 0.5 * delta));
  assert.ok(Math.abs(huberLoss(delta * (1 + 1e-12), delta) - 0.5 * delta * delta) < 1e-15);
  assert.equal(huberDerivative(5e-4, delta), 5e-4);
  assert.equal(huberDerivative(0.5, delta), delta);
  assert.equal(huberDerivative(-0.5, delta), -delta);
});

Deno.test("residual loss sums match the per-residual Huber and squared losses", () => {
  const residuals = Float64Array.of(-0.2, -1e-4, 0, 3e-4, 0.05);
  const derivatives = new Float64Array(residuals.length);
  const total = residualLossSum({ kind: "huber", delta: 1e-3 }, residuals, derivatives);
  const expected = residuals.reduce((sum, r) => sum + huberLoss(r, 1e-3), 0);
  assert.ok(Math.abs(total - expected) < 1e-15);
  assert.deepEqual([...derivatives], [...residuals].map((r) => huberDerivative(r, 1e-3)));
  const squared = residualLossSum({ kind: "squared" }, residuals, derivatives);
  assert.ok(Math.abs(squared - residuals.reduce((s, r) => s + 0.5 * r * r, 0)) < 1e-15);
  assert.throws(
    () => checkResidualLoss({ kind: "huber", delta: 0 }),
    { message: "Huber delta must be a positive number, got 0" },
  );
});
