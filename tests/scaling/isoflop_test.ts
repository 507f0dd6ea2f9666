import assert from "node:assert/strict";
import {
  CHINCHILLA_PUBLISHED,
  computeOptimalAllocation,
  computeOptimalExponents,
  isoFlopApproach,
  type IsoFlopRun,
  predictChinchillaLoss,
} from "../../lib/scaling/mod.ts";
import { assertNear, logGrid, withLogNoise } from "./synthetic.ts";

const BUDGETS = [1e18, 1e19, 1e20, 1e21];

/** Runs of 9 sizes spanning ×/÷ 4 around the true optimum at each budget. */
function isoFlopRuns(noise: number): IsoFlopRun[] {
  const runs = BUDGETS.flatMap((flops) => {
    const best = computeOptimalAllocation(CHINCHILLA_PUBLISHED, flops);
    return logGrid(best.n / 4, best.n * 4, 9).map((n) => ({
      n,
      flops,
      loss: predictChinchillaLoss(CHINCHILLA_PUBLISHED, n, flops / (6 * n)),
    }));
  });
  const noisy = withLogNoise(runs.map((r) => r.loss), noise, 31);
  return runs.map((run, i) => ({ ...run, loss: noisy[i] }));
}

Deno.test("IsoFLOP (approach 2) recovers the compute-optimal exponents of a known law", () => {
  const result = isoFlopApproach(isoFlopRuns(0.001), { budgets: BUDGETS });
  const truth = computeOptimalExponents(CHINCHILLA_PUBLISHED);
  assert.equal(result.profiles.length, 4);
  assertNear(result.law.a, truth.a, 0.005, "a");
  assertNear(result.law.b, truth.b, 0.005, "b");
  for (const profile of result.profiles) {
    const best = computeOptimalAllocation(CHINCHILLA_PUBLISHED, profile.flops);
    assertNear(Math.log(profile.nOpt / best.n), 0, 0.05, `log N_opt at ${profile.flops}`);
    assert.ok(profile.interior);
    assertNear(profile.dOpt * 6 * profile.nOpt / profile.flops, 1, 1e-12, "D_opt = C/(6N_opt)");
  }
});

Deno.test("IsoFLOP: clustering by compute finds the same budgets; thin budgets are skipped", () => {
  const runs = isoFlopRuns(0).map((run, i) => ({
    ...run,
    flops: run.flops * (1 + 0.01 * (i % 3)),
  }));
  const clustered = isoFlopApproach(runs);
  assert.equal(clustered.profiles.length, 4);
  assertNear(clustered.profiles[0].flops / 1e18, 1.01, 0.01, "first budget");
  const thin = [...runs, { n: 1e9, flops: 1e23, loss: 2 }, { n: 2e9, flops: 1e23, loss: 1.9 }];
  const result = isoFlopApproach(thin);
  assert.equal(result.skipped.length, 1);
  assert.match(result.skipped[0].reason, /2 distinct model sizes, fewer than 3/);
});

Deno.test("IsoFLOP: runs far from every nominal budget are counted, not used", () => {
  const runs = [...isoFlopRuns(0), { n: 1e8, flops: 3e18, loss: 3 }];
  const result = isoFlopApproach(runs, { budgets: BUDGETS, tolerance: 0.05 });
  assert.equal(result.unassigned, 1);
  assert.throws(
    () => isoFlopApproach(runs.slice(0, 9), { budgets: BUDGETS }),
    { message: /needs two or more budgets with a minimum; found 1/ },
  );
  assert.throws(
    () => isoFlopApproach([{ n: 0, flops: 1e18, loss: 3 }]),
    { message: "run 1 has n = 0; it must be a positive number" },
  );
});

Deno.test("IsoFLOP bootstrap: runs resampled within budgets; the intervals hold the true a, b", () => {
  const runs = isoFlopRuns(0.01);
  const bootstrap = { resamples: 400, seed: 0 };
  const result = isoFlopApproach(runs, { budgets: BUDGETS, bootstrap });
  const truth = computeOptimalExponents(CHINCHILLA_PUBLISHED);
  const boot = result.bootstrap!;
  assert.equal(boot.resamples, 400);
  assert.equal(boot.level, 0.95);
  for (const [name, value] of [["a", truth.a], ["b", truth.b]] as const) {
    const { lower, upper, estimate } = boot.intervals[name];
    assert.equal(estimate, result.law[name]);
    assert.ok(lower < value && value < upper, `${name} = ${value} outside [${lower}, ${upper}]`);
    assert.ok(upper - lower < 0.3, `${name} interval [${lower}, ${upper}] is too wide`);
  }
  const ratios = result.profiles.map((p) => Math.log(p.dOpt / p.nOpt));
  const geometricMean = Math.exp(ratios.reduce((s, r) => s + r, 0) / ratios.length);
  assertNear(result.tokensPerParameter / geometricMean, 1, 1e-12, "tokens per parameter");
  const tokens = boot.intervals.tokensPerParameter;
  assert.ok(tokens.lower < geometricMean && geometricMean < tokens.upper);
  assert.deepEqual(boot, isoFlopApproach(runs, { budgets: BUDGETS, bootstrap }).bootstrap);
  assert.equal(isoFlopApproach(runs, { budgets: BUDGETS }).bootstrap, undefined);
});

Deno.test("IsoFLOP bootstrap: resamples with a degenerate parabola count as failed", () => {
  // Five sizes per budget: a resample of them often has fewer than three distinct sizes.
  const runs = isoFlopRuns(0.001).filter((_, i) => i % 9 >= 2 && i % 9 <= 6);
  const result = isoFlopApproach(runs, {
    budgets: BUDGETS,
    bootstrap: { resamples: 200, seed: 0 },
  });
  const { failed } = result.bootstrap!;
  assert.ok(failed > 0 && failed < 100, `${failed} failed`);
  assert.throws(
    () => isoFlopApproach(runs, { budgets: BUDGETS, bootstrap: { resamples: 1, seed: 0 } }),
    { message: /resamples must be an integer ≥ 2/ },
  );
});
