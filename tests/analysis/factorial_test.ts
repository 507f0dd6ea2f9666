import assert from "node:assert/strict";
import {
  effectMasks,
  effectName,
  factorialEffects,
  shapleyValues,
} from "../../lib/analysis/shapley.ts";
import {
  type Attribution,
  factorialAttribution,
  type FactorialRun,
} from "../../lib/analysis/factorial_attribution.ts";
import { copyTrials } from "../../lib/notebook/results.ts";
import {
  analyzeFactorial,
  FACTORIAL_FACTORS,
  ladderCells,
  LECUN_FACTORIAL_DESIGN,
} from "../../lib/analysis/factorial.ts";
import { CLAIM_RULES, claimVerdicts } from "../../lib/analysis/claims.ts";
import { type TrialRecord, writeTrialRecord } from "../../lib/sweep/store.ts";

const close = (actual: number, expected: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected}`);

/** Runs of one seed each with the given log2 values, cell by cell. */
const oneSeed = (log2: number[]): FactorialRun[] =>
  log2.map((y, cell) => ({ cell, seed: 1, value: 2 ** y }));

Deno.test("2^2 by hand: effects and Shapley values of y = 3, 2, 1, 1", () => {
  // cells none, a, b, a+b. a: (2+1)/2 − (3+1)/2; b: (1+1)/2 − (3+2)/2; a:b: (1+3−2−1)/2.
  const effects = factorialEffects([3, 2, 1, 1], ["a", "b"]);
  assert.deepEqual(effects.map((e) => e.name), ["a", "b", "a:b"]);
  assert.deepEqual(effects.map((e) => e.value), [-0.5, -1.5, 0.5]);
  // The drop game v(S) = y(none) − y(S) = 0, 1, 2, 2: φ_a = (1 + 0)/2, φ_b = (2 + 1)/2.
  assert.deepEqual(shapleyValues([0, 1, 2, 2], ["a", "b"]), [0.5, 1.5]);
  const result = factorialAttribution(oneSeed([3, 2, 1, 1]), {
    factors: ["a", "b"],
    groups: { first: ["a"], second: ["b"] },
    steps: { a_then_b: { from: ["a"], to: ["a", "b"] } },
  }, { resamples: 20 });
  close(result.shapley.a.value, 0.5, "φ_a");
  close(result.shapley.b.value, 1.5, "φ_b");
  close(result.total.value, 2, "total drop");
  close(result.steps.a_then_b.value, 1, "step a → a+b");
  close(result.effects["a:b"].value, 0.5, "a:b");
  assert.equal(result.effects.a.se, null, "one seed per cell: no standard error");
  close(result.shares.second.value, 0.75, "share of b");
});

Deno.test("2^3 by hand: a null factor gets 0, and a pure three-way synergy splits evenly", () => {
  // y = 5, 4, 3, 1, 5, 4, 3, 1 for none, a, b, a+b, c, a+c, b+c, a+b+c: c changes nothing.
  const y = [5, 4, 3, 1, 5, 4, 3, 1];
  const effects = factorialEffects(y, ["a", "b", "c"]);
  assert.deepEqual(effects.map((e) => e.name), ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]);
  // a: mean(4,1,4,1) − mean(5,3,5,3); b: mean(3,1,3,1) − mean(5,4,5,4); a:b: ((1−3) − (4−5))/2.
  assert.deepEqual(effects.map((e) => e.value), [-1.5, -2.5, 0, -0.5, 0, 0, 0]);
  // v = 0, 1, 2, 4 on {a, b} (the same with c): φ_a = (1 + 2)/2, φ_b = (2 + 3)/2, φ_c = 0.
  assert.deepEqual(shapleyValues(y.map((v) => 5 - v), ["a", "b", "c"]), [1.5, 2.5, 0]);
  // Only the all-on cell differs (y = −1): every effect is −1/4, every Shapley value 1/3.
  const synergy = [0, 0, 0, 0, 0, 0, 0, -1];
  assert.deepEqual(factorialEffects(synergy, ["a", "b", "c"]).map((e) => e.value), [
    -0.25,
    -0.25,
    -0.25,
    -0.25,
    -0.25,
    -0.25,
    -0.25,
  ]);
  shapleyValues(synergy.map((v) => -v), ["a", "b", "c"]).forEach((phi, i) =>
    close(phi, 1 / 3, `φ_${i}`, 1e-15)
  );
});

Deno.test("effects are listed by order, then by factor order", () => {
  assert.deepEqual(effectMasks(3), [1, 2, 4, 3, 5, 6, 7]);
  const names = effectMasks(6).map((mask) => effectName(mask, FACTORIAL_FACTORS));
  assert.equal(names.length, 63);
  assert.deepEqual(names.slice(0, 8), [
    "ce",
    "adamw",
    "augment",
    "relu_dropout",
    "more_data",
    "more_passes",
    "ce:adamw",
    "ce:augment",
  ]);
  assert.ok(names.includes("adamw:more_data"));
  assert.equal(names.at(-1), FACTORIAL_FACTORS.join(":"));
});

/** log2 error = 3 − Σ β_i x_i on the six factors, with seed noise that averages out per cell. */
const BETA = [0.1, 0.4, 0.6, 0.3, 0.8, 0.2];
const NOISE = [0.94, 1, 1.06];

function additiveRuns(): FactorialRun[] {
  return Array.from({ length: 64 }, (_, cell) => {
    const y = 3 - BETA.reduce((s, b, i) => s + (cell & (1 << i) ? b : 0), 0);
    return NOISE.map((f, seed) => ({ cell, seed, value: 2 ** y * f }));
  }).flat();
}

Deno.test("an additive 2^6 grid: Shapley values are the factors' own drops, interactions 0", () => {
  const result = factorialAttribution(additiveRuns(), LECUN_FACTORIAL_DESIGN, { resamples: 300 });
  FACTORIAL_FACTORS.forEach((factor, i) => {
    close(result.shapley[factor].value, BETA[i], `φ ${factor}`, 1e-12);
    close(result.effects[factor].value, -BETA[i], `effect ${factor}`, 1e-12);
    const [lo, hi] = result.shapley[factor].ci;
    assert.ok(lo <= BETA[i] + 1e-12 && BETA[i] - 1e-12 <= hi, `${factor} CI [${lo}, ${hi}]`);
    assert.ok(result.shapley[factor].se! > 0);
  });
  for (const [name, effect] of Object.entries(result.effects)) {
    if (name.includes(":")) close(effect.value, 0, name, 1e-12);
  }
  assert.equal(Object.keys(result.effects).length, 63);
  close(result.groups.algorithms.value, 0.1 + 0.4 + 0.6 + 0.3, "algorithms", 1e-12);
  close(result.groups.data.value, 0.8, "data", 1e-12);
  close(result.groups.compute.value, 0.2, "compute", 1e-12);
  close(result.total.value, BETA.reduce((s, b) => s + b), "total", 1e-12);
  close(result.steps.algorithms_alone.value, 1.4, "algorithms alone", 1e-12);
  close(result.steps.data_after_algorithms.value, 0.8, "data after algorithms", 1e-12);
  close(result.shares.data.value, 0.8 / 2.4, "data share", 1e-12);
  assert.equal(result.precision.seeds, 3);
  assert.equal(result.cells[0].name, "none");
  assert.deepEqual(result.cells[0].seeds, [0, 1, 2]);
});

Deno.test("standard errors by the delta method; bootstrap intervals are reproducible", () => {
  // One factor, two seeds a cell: var(y_c) = s²/(n·m²·ln²2) = 2/(2·25·ln²2) = 0.5/(2·6.25·ln²2).
  const runs = [
    { cell: 0, seed: 1, value: 4 },
    { cell: 0, seed: 2, value: 6 },
    { cell: 1, seed: 1, value: 2 },
    { cell: 1, seed: 2, value: 3 },
  ];
  const design = { factors: ["a"], groups: { all: ["a"] } };
  const result = factorialAttribution(runs, design, { resamples: 500, seed: 3 });
  close(result.effects.a.value, -1, "effect of a");
  close(result.effects.a.se!, Math.sqrt(0.08) / Math.LN2, "se", 1e-12);
  close(result.shapley.a.se!, Math.sqrt(0.08) / Math.LN2, "se of φ", 1e-12);
  const again = factorialAttribution(runs, design, { resamples: 500, seed: 3 });
  assert.deepEqual(again.shapley.a.ci, result.shapley.a.ci);
  const [lo, hi] = result.shapley.a.ci;
  assert.ok(lo < 1 && 1 < hi, `[${lo}, ${hi}]`);
  // Resamples keep seeds within a cell: the drop lies between log2(4/3) and log2(6/2).
  assert.ok(lo >= Math.log2(4 / 3) - 1e-12 && hi <= Math.log2(3) + 1e-12);
  const precision = factorialAttribution(runs, design, { resamples: 500, target: 0.01 }).precision;
  assert.equal(precision.met, false);
  assert.ok(precision.seedsNeeded! > 2);
  assert.equal(factorialAttribution(runs, design, { target: 10 }).precision.met, true);
});

Deno.test("bad factorial inputs are refused in one line", () => {
  const design = { factors: ["a", "b"], groups: { g: ["a"] } };
  const runs = oneSeed([3, 2, 1, 1]);
  const refuses = (make: () => unknown, pattern: RegExp) =>
    assert.throws(make, (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    });
  refuses(
    () => factorialAttribution(runs.slice(0, 3), design),
    /1 of 4 cells have no run \(a\+b\); a full factorial needs every cell/,
  );
  refuses(
    () => factorialAttribution([{ ...runs[0], value: 0 }, ...runs.slice(1)], design),
    /run 0 \(cell none, seed 1\) has value 0; expected a positive number/,
  );
  refuses(
    () => factorialAttribution(runs, { ...design, groups: { g: ["c"] } }),
    /group "g" names unknown factor "c"/,
  );
  refuses(
    () => factorialAttribution([...runs, { cell: 4, seed: 1, value: 1 }], design),
    /run 4 has cell 4; expected an integer mask below 4/,
  );
  refuses(() => factorialEffects([1, 2, 3], ["a", "b"]), /a 2\^2 factorial has 4 cells, got 3/);
});

Deno.test("the ladder's rungs map to grid cells by their switches and the nearest levels", () => {
  const rungs = ladderCells({ trainSize: [7291, 50000], passes: [23, 92] });
  assert.deepEqual(rungs.map((r) => [r.rung, r.mask, r.from]), [
    ["baseline", 0, null],
    ["ce", 0b000001, "baseline"],
    ["adamw", 0b000011, "ce"], // 46 passes: the geometric mean of 23 and 92, mapped to 23
    ["augment", 0b100111, "adamw"],
    ["modern", 0b101111, "augment"],
    ["baseline-50k", 0b110000, "baseline"],
    ["modern-50k", 0b111111, "modern"],
  ]);
  assert.equal(rungs[0].published, 4.09);
});

function record(id: number, config: Record<string, unknown>, metrics: Record<string, number>) {
  return {
    id: id.toString(16).padStart(16, "0"),
    experiment: "lecun1989-factorial",
    version: "1",
    config,
    status: "ok",
    metrics,
    history: [],
    adapter: "none",
    wallSeconds: 1,
    gitCommit: null,
    startedAt: "2026-01-01T00:00:00Z",
    endedAt: "2026-01-01T00:00:01Z",
    error: null,
  } as TrialRecord;
}

async function writeFactorialTrials(dir: string, skip = -1) {
  await Deno.mkdir(`${dir}/trials`, { recursive: true });
  let id = 0;
  for (const run of additiveRuns()) {
    if (run.cell === skip) continue;
    const config = {
      ...Object.fromEntries(FACTORIAL_FACTORS.map((f, i) => [f, (run.cell >> i) & 1])),
      seed: 1337 + run.seed,
      data_levels: [7291, 50000],
      pass_levels: [23, 92],
    };
    await writeTrialRecord(
      dir,
      record(id++, config, { test_error: run.value, train_error: run.value / 4 }),
    );
  }
}

Deno.test("analyzeFactorial writes fits.json with the issue's keys, and three figures", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await writeFactorialTrials(dir);
    const report = await analyzeFactorial(dir, { version: "1", resamples: 200 });
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    assert.deepEqual(Object.keys(fits.shapley), [...FACTORIAL_FACTORS]);
    assert.deepEqual(Object.keys(fits.groups), ["algorithms", "data", "compute"]);
    for (const entry of [...Object.values(fits.shapley), ...Object.values(fits.groups)]) {
      const { value, ci } = entry as { value: number; ci: number[] };
      assert.equal(typeof value, "number");
      assert.equal(ci.length, 2);
    }
    close(fits.shapley.more_data.value, 0.8, "φ more_data", 1e-9);
    assert.deepEqual(Object.keys(fits.effects["adamw:more_data"]), ["value", "se"]);
    assert.equal(Object.keys(fits.effects).length, 63);
    assert.equal(fits.cells.length, 64);
    assert.equal(fits.cells[63].train_size, 50000);
    assert.equal(fits.cells[63].passes, 92);
    assert.deepEqual(fits.ladder.map((r: { cell: string }) => r.cell).slice(0, 3), [
      "none",
      "ce",
      "ce+adamw",
    ]);
    close(fits.ladder[1].drop, 0.1, "ce rung's drop", 1e-9);
    assert.equal(report.plots.length, 3);
    for (const png of report.plots) assert.ok((await Deno.stat(png)).size > 1000, png);
    assert.match(report.lines[1], /^groups \(Shapley sums, halvings\): algorithms 1\.40 \[/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("analyzeFactorial refuses an incomplete grid or another experiment in one line", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await writeFactorialTrials(dir, 0b100001);
    await assert.rejects(
      () => analyzeFactorial(dir, { resamples: 10 }),
      /^RangeError: 1 of 64 cells have no run \(ce\+more_passes\); a full factorial needs every cell$/,
    );
    await writeTrialRecord(dir, record(999, { ce: 2 }, { test_error: 1, train_error: 1 }));
    await assert.rejects(
      () => analyzeFactorial(dir, { resamples: 10 }),
      /config "ce" is 2, expected 0 or 1 \(is .* a lecun1989-factorial results directory\?\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Fits with the given (value, lo, hi) for the quantities the claims read. */
function claimFits(q: Record<string, [number, number, number]>) {
  const at = (name: string) => {
    const [value, lo, hi] = q[name];
    return { value, ci: [lo, hi] as [number, number] };
  };
  return {
    groups: { algorithms: at("algorithms"), data: at("data"), compute: at("compute") },
    shares: {
      algorithms: at("share_algorithms"),
      data: at("share_data"),
      compute: at("share_compute"),
    },
    total: at("total"),
    steps: {
      algorithms_alone: at("alone"),
      data_after_algorithms: at("data_step"),
      compute_after_algorithms_and_data: at("compute_step"),
    },
    levels: { trainSize: [7291, 50000] as [number, number], passes: [23, 92] as [number, number] },
    precision: { seeds: 3 },
  };
}

const BALANCED: Record<string, [number, number, number]> = {
  algorithms: [1, 0.9, 1.1],
  alone: [0.95, 0.8, 1.1],
  data: [0.8, 0.7, 0.9],
  compute: [0.7, 0.6, 0.8],
  data_step: [0.5, 0.3, 0.7],
  compute_step: [0.2, 0.12, 0.3],
  total: [2.5, 2.3, 2.7],
  share_algorithms: [0.4, 0.35, 0.45],
  share_data: [0.32, 0.28, 0.36],
  share_compute: [0.28, 0.24, 0.32],
};

Deno.test("Karpathy's claims: each rule's three outcomes", () => {
  const verdicts = (changes: Record<string, [number, number, number]>) =>
    claimVerdicts(claimFits({ ...BALANCED, ...changes })).map((c) => c.verdict);
  assert.deepEqual(verdicts({}), ["confirmed", "confirmed", "confirmed", "confirmed"]);
  // Halving: both measures must agree; wholly above 1.5 halvings is refuted.
  assert.equal(verdicts({ alone: [0.6, 0.45, 0.7] })[0], "qualified");
  assert.equal(
    verdicts({ algorithms: [1.8, 1.6, 2], alone: [1.7, 1.55, 1.9] })[0],
    "refuted",
  );
  // Further gains: above 0.1 confirmed, below refuted, straddling qualified.
  assert.equal(verdicts({ data_step: [0.02, -0.05, 0.08] })[1], "refuted");
  assert.equal(verdicts({ compute_step: [0.1, 0.02, 0.2] })[2], "qualified");
  // Balance: a share above 1/2 refutes it; a share reaching past [1/6, 1/2] qualifies it.
  assert.equal(verdicts({ share_algorithms: [0.6, 0.55, 0.7] })[3], "refuted");
  assert.equal(verdicts({ share_compute: [0.2, 0.1, 0.3] })[3], "qualified");
  assert.equal(verdicts({ total: [0.1, -0.1, 0.3] })[3], "qualified");
});

Deno.test("claim paragraphs carry the numbers, the rule and the figure", () => {
  const iso = {
    reference: { trainSize: 7291, passes: 23 },
    oldError: { value: 4.6, ci: [4.4, 4.8] as [number, number] },
    modernError: { value: 2.5, ci: [2.3, 2.7] as [number, number] },
    data: { value: 12, ci: [8, 20] as [number, number], floor: 1.9, beyondGrid: true },
    passes: { value: null, ci: [null, null] as [null, null], floor: 4.5, beyondGrid: false },
    belowFloor: false,
    extrapolated: false,
    measured: { oldError: 4.5, modernError: 3.1, data: 6.9, passes: null },
  };
  const [halving, data, , balanced] = claimVerdicts(claimFits(BALANCED), iso);
  assert.match(halving.markdown, /^\*\*Algorithms halve the error — confirmed\.\*\*/);
  assert.match(halving.markdown, /Shapley sum of 1\.00 \[0\.90, 1\.10\] halvings/);
  assert.match(halving.markdown, /divided by 2\.00× \[1\.87, 2\.14\]/);
  assert.ok(halving.markdown.includes(CLAIM_RULES.halving));
  assert.equal(halving.figure, "shapley");
  assert.match(data.markdown, /6\.9× the digits \(50,000\)/);
  assert.match(
    data.markdown,
    /the 1989 recipe would need 12× \(95% interval 8\.0× to 20×\) the digits, read beyond the measured grid, and could not match it with more passes alone \(its floor in that direction, 4\.50%, lies above it\)/,
  );
  assert.match(
    data.markdown,
    /Read off the measured cells without the laws: 4\.50% and 3\.10%, and the 1989 recipe's cells reach the modern one's at 6\.9× the digits and not within the measured passes\./,
  );
  assert.match(balanced.markdown, /algorithms 40% \[35%, 45%\], data 32% \[28%, 36%\]/);
});

Deno.test("with one seed per cell every claim paragraph says it is provisional", () => {
  const fits = { ...claimFits(BALANCED), precision: { seeds: 1 } };
  for (const claim of claimVerdicts(fits)) {
    assert.equal(claim.provisional, true);
    assert.match(claim.markdown, /one seed per cell the intervals have no width/);
  }
  assert.ok(claimVerdicts(claimFits(BALANCED)).every((c) => !c.provisional));
});

Deno.test("the committed cpu smoke run analyzes: 64 cells, Shapley values add up to the drop", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await copyTrials("tests/analysis/fixtures/lecun1989-factorial-cpu", dir);
    const report = await analyzeFactorial(dir, { version: "1", resamples: 50 });
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    assert.equal(fits.cells.length, 64);
    assert.deepEqual(fits.levels, { trainSize: [500, 2000], passes: [3, 12] });
    const sum = Object.values(fits.shapley).reduce(
      (s: number, a) => s + (a as Attribution).value,
      0,
    );
    close(sum, fits.total.value, "Σ Shapley = total drop", 1e-9);
    close(
      fits.total.value,
      fits.cells[0].log2_test_error - fits.cells[63].log2_test_error,
      "total = log2(none) − log2(all)",
      1e-12,
    );
    assert.equal(fits.precision.met, null, "one seed: no interval width");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
