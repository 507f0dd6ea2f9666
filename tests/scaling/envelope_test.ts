import assert from "node:assert/strict";
import {
  CHINCHILLA_PUBLISHED,
  computeOptimalExponents,
  envelopeApproach,
  predictChinchillaLoss,
  type TrainingCurvePoint,
} from "../../lib/scaling/mod.ts";
import { assertNear, logGrid } from "./synthetic.ts";

/** Idealized training curves: loss = L(N, D) after D tokens, C = 6·N·D. */
function curves(): TrainingCurvePoint[] {
  return logGrid(1e7, 1e10, 16).flatMap((n, k) =>
    logGrid(1e8, 3e11, 60).map((d) => ({
      run: `model-${k}`,
      n,
      flops: 6 * n * d,
      loss: predictChinchillaLoss(CHINCHILLA_PUBLISHED, n, d),
    }))
  );
}

Deno.test("envelope (approach 1) of ideal training curves recovers the optimal exponents", () => {
  const points = curves();
  // Budgets where every model size could be the best one: inside the middle of the range.
  const inner = points.filter((p) => p.flops >= 1e19 && p.flops <= 1e21);
  const result = envelopeApproach(inner, { budgets: 200 });
  const truth = computeOptimalExponents(CHINCHILLA_PUBLISHED);
  assertNear(result.law.a, truth.a, 0.04, "a");
  assertNear(result.law.b, truth.b, 0.04, "b");
  assert.ok(new Set(result.envelope.map((p) => p.run)).size >= 4, "several runs on the envelope");
  for (const point of result.envelope) {
    assertNear(6 * point.n * point.d / point.flops, 1, 1e-12, "D = C/(6N)");
  }
});

Deno.test("envelope: one model size, or a run with two sizes, is a one-line error", () => {
  const one = curves().filter((p) => p.run === "model-0");
  assert.throws(() => envelopeApproach(one), {
    message: "the envelope needs training curves of at least two model sizes",
  });
  const mixed = [...one, { run: "model-0", n: 5, flops: 1e20, loss: 3 }];
  assert.throws(() => envelopeApproach(mixed), { message: /run "model-0" has two sizes/ });
});
