import assert from "node:assert/strict";
import { fitPowerLaw, predictPowerLaw } from "../../lib/scaling/mod.ts";
import { assertNear, logGrid, withLogNoise } from "./synthetic.ts";

Deno.test("pure power law: parameters recovered from noisy synthetic data", () => {
  const x = logGrid(1e3, 1e9, 30);
  const y = withLogNoise(x.map((v) => 50 * v ** -0.3), 0.01, 1);
  const fit = fitPowerLaw({ x, y });
  assertNear(fit.params.b, 0.3, 0.005, "b");
  assertNear(Math.log(fit.params.a), Math.log(50), 0.02, "log a");
  assert.equal(fit.params.c, 0);
  assert.equal(fit.law, "power");
  assert.ok(fit.residuals.rmse > 0.005 && fit.residuals.rmse < 0.02, `rmse ${fit.residuals.rmse}`);
});

Deno.test("power law with irreducible term: a, b and c recovered", () => {
  const x = logGrid(1e4, 1e10, 40);
  const truth = { a: 400, b: 0.35, c: 1.7 };
  const y = withLogNoise(x.map((v) => predictPowerLaw(truth, v)), 0.003, 2);
  const fit = fitPowerLaw({ x, y }, { irreducible: true });
  assertNear(fit.params.b, truth.b, 0.01, "b");
  assertNear(fit.params.c, truth.c, 0.015, "c");
  assertNear(Math.log(fit.params.a), Math.log(truth.a), 0.06, "log a");
  assert.match(fit.equation, /^y = \d+(\.\d+)?·x\^-0\.3\d* \+ 1\.\d+$/);
});

Deno.test("power law bootstrap: seeded, reproducible, and covers the truth", () => {
  const x = logGrid(1e3, 1e9, 30);
  const y = withLogNoise(x.map((v) => 50 * v ** -0.3), 0.01, 3);
  const options = { bootstrap: { resamples: 300, seed: 7 } };
  const first = fitPowerLaw({ x, y }, options);
  const again = fitPowerLaw({ x, y }, options);
  const other = fitPowerLaw({ x, y }, { bootstrap: { resamples: 300, seed: 8 } });
  const b = first.bootstrap!.intervals.b;
  assert.deepEqual(first.bootstrap, again.bootstrap);
  assert.notDeepEqual(first.bootstrap!.intervals.b, other.bootstrap!.intervals.b);
  assert.ok(b.lower < 0.3 && 0.3 < b.upper, `interval [${b.lower}, ${b.upper}] misses 0.3`);
  assert.ok(b.upper - b.lower < 0.01, "interval should be narrow at 1% noise");
  assert.ok(b.lower <= b.estimate && b.estimate <= b.upper);
});

Deno.test("power law: bad inputs give one-line errors", () => {
  assert.throws(
    () => fitPowerLaw({ x: [1, 2, 0], y: [3, 2, 1] }),
    { message: /^column "x" row 3 is 0; .*positive/ },
  );
  assert.throws(
    () => fitPowerLaw({ x: [1, 2], y: [3, 2] }, { irreducible: true }),
    {
      message: "the power law has 3 parameters but only 2 points were given; at least 3 are needed",
    },
  );
  assert.throws(() => fitPowerLaw({ x: [1, 2, 3], y: [1, 2] }), { message: /differ in length/ });
});
