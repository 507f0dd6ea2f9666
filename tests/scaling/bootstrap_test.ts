import assert from "node:assert/strict";
import { bootstrapIntervals } from "../../lib/scaling/mod.ts";
import { seededNormal } from "./synthetic.ts";

const normal = seededNormal(21);
const SAMPLE = Array.from({ length: 400 }, () => 5 + 2 * normal());

function meanOf(indices: ArrayLike<number>) {
  let sum = 0;
  for (let i = 0; i < indices.length; i++) sum += SAMPLE[indices[i]];
  return { mean: sum / indices.length };
}

const ALL = Array.from(SAMPLE.keys());

Deno.test("bootstrap of a mean: interval close to ±1.96·σ/√n and seeded", () => {
  const options = { resamples: 2000, seed: 3 };
  const summary = bootstrapIntervals(SAMPLE.length, meanOf(ALL), meanOf, options);
  const { mean, std, lower, upper, estimate } = summary.intervals.mean;
  const standardError = 2 / Math.sqrt(SAMPLE.length);
  assert.ok(Math.abs(std / standardError - 1) < 0.1, `std ${std} vs ${standardError}`);
  assert.ok(Math.abs(mean - estimate) < 0.2 * standardError);
  assert.ok(Math.abs((upper - lower) / (2 * 1.96 * standardError) - 1) < 0.1);
  assert.deepEqual(summary, bootstrapIntervals(SAMPLE.length, meanOf(ALL), meanOf, options));
  assert.equal(summary.level, 0.95);
  assert.equal(summary.failed, 0);
});

Deno.test("bootstrap: failed refits are counted and left out; too many fail loudly", () => {
  let calls = 0;
  const flaky = (indices: Int32Array) => {
    if (++calls % 4 === 0) throw new Error("no convergence");
    return meanOf(indices);
  };
  const summary = bootstrapIntervals(SAMPLE.length, meanOf(ALL), flaky, {
    resamples: 100,
    seed: 1,
  });
  assert.equal(summary.failed, 25);
  const broken = () => {
    throw new Error("always");
  };
  assert.throws(
    () => bootstrapIntervals(SAMPLE.length, meanOf(ALL), broken, { resamples: 10, seed: 1 }),
    { message: "bootstrap failed: 10 of 10 refits did not succeed" },
  );
});

Deno.test("bootstrap with strata: each point is redrawn from its own group", () => {
  // Points 0–2 hold 0, points 3–7 hold 1: every stratified resample has three 0s and five 1s.
  const labels = [0, 0, 0, 1, 1, 1, 1, 1];
  const share = (indices: ArrayLike<number>) => ({
    ones: Array.from(indices, (i) => labels[i]).reduce((s, v) => s + v, 0),
    firstStratum: Array.from(indices).slice(0, 3).filter((i) => i > 2).length,
  });
  const all = Array.from(labels.keys());
  const strata = [[0, 1, 2], [3, 4, 5, 6, 7]];
  const summary = bootstrapIntervals(8, share(all), share, { resamples: 200, seed: 2, strata });
  assert.deepEqual(
    [summary.intervals.ones.lower, summary.intervals.ones.upper, summary.intervals.ones.std],
    [5, 5, 0],
  );
  assert.equal(summary.intervals.firstStratum.upper, 0);
  const plain = bootstrapIntervals(8, share(all), share, { resamples: 200, seed: 2 });
  assert.ok(plain.intervals.ones.std > 0);
  const bad = (groups: number[][]) => () =>
    bootstrapIntervals(8, share(all), share, { resamples: 10, seed: 0, strata: groups });
  assert.throws(bad([[0, 1, 2], [2, 3, 4, 5, 6, 7]]), { message: /got point 2 twice/ });
  assert.throws(bad([[0, 1, 2], [3, 4, 5, 6, 8]]), { message: /got point 8 out of range/ });
  assert.throws(bad([[0, 1, 2], [3, 4, 5, 6]]), { message: /point 7 is in none/ });
});

Deno.test("bootstrap: bad options are one-line errors", () => {
  const run = (options: { resamples: number; seed: number; level?: number }) => () =>
    bootstrapIntervals(SAMPLE.length, meanOf(ALL), meanOf, options);
  assert.throws(run({ resamples: 1, seed: 0 }), { message: /resamples must be an integer ≥ 2/ });
  assert.throws(run({ resamples: 10, seed: -1 }), { message: /seed must be an integer/ });
  assert.throws(run({ resamples: 10, seed: 0, level: 1 }), {
    message: /level must be in \(0, 1\)/,
  });
});
