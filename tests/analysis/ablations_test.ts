import assert from "node:assert/strict";
import { Rng } from "../../lib/random/xoshiro.ts";
import { type AblationRun, computeMultipliers } from "../../lib/analysis/ablations.ts";

/** Runs from L(C) = 3·(C / m)^−0.1 with multiplicative seed noise. */
function runsOf(variant: string, multiplier: number, noise: number, seed: number): AblationRun[] {
  const rng = new Rng(seed);
  return [1e12, 3e12, 1e13].flatMap((compute) =>
    [0, 1, 2, 3, 4].map((s) => ({
      variant,
      compute,
      seed: s,
      loss: 3 * (compute / multiplier) ** -0.1 * Math.exp(noise * rng.normal()),
    }))
  );
}

Deno.test("compute multipliers recover known factors with intervals that contain them", () => {
  const runs = [
    ...runsOf("baseline", 1, 0.003, 1),
    ...runsOf("worse", 2.5, 0.003, 2),
    ...runsOf("better", 0.5, 0.003, 3),
  ];
  const result = computeMultipliers(runs, "baseline", { resamples: 500, seed: 4 });
  assert.deepEqual(result.map((r) => r.variant), ["worse", "better"]);
  for (const [r, truth] of [[result[0], 2.5], [result[1], 0.5]] as const) {
    assert.ok(Math.abs(Math.log(r.multiplier / truth)) < 0.15, `${r.variant}: ${r.multiplier}`);
    assert.ok(r.lower <= truth && truth <= r.upper, `${r.variant}: [${r.lower}, ${r.upper}]`);
    assert.ok(Math.abs(r.slope - 0.1) < 0.01);
    assert.equal(r.runs, 15);
  }
});

Deno.test("exact data gives the exact multiplier and a zero-width interval", () => {
  const runs = [...runsOf("baseline", 1, 0, 1), ...runsOf("relu", 4, 0, 2)];
  const [r] = computeMultipliers(runs, "baseline", { resamples: 50 });
  assert.ok(Math.abs(r.multiplier - 4) < 1e-9);
  assert.ok(Math.abs(r.lower - 4) < 1e-9 && Math.abs(r.upper - 4) < 1e-9);
});

Deno.test("a baseline at one budget is a clear error", () => {
  const runs = runsOf("baseline", 1, 0, 1).filter((r) => r.compute === 1e12);
  assert.throws(
    () => computeMultipliers([...runs, ...runsOf("x", 2, 0, 2)], "baseline"),
    /baseline "baseline" at two or more budgets, got 1/,
  );
});
