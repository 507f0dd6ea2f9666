import assert from "node:assert/strict";
import {
  analyzeIsoError,
  computeEquivalent,
  type ErrorLaw,
  type IsoErrorRun,
  predictError,
} from "../../lib/analysis/iso_error.ts";
import { type TrialRecord, writeTrialRecord } from "../../lib/sweep/store.ts";

const LAWS: Record<string, ErrorLaw> = {
  "1989": { E: 1, A: 300, alpha: 0.5, B: 20, beta: 1 },
  modern: { E: 0.5, A: 150, alpha: 0.5, B: 5, beta: 1 },
};

/** Three seeds a point whose noise averages out: 0.97, 1, 1.03 times the law. */
function gridRuns(laws = LAWS): IsoErrorRun[] {
  return Object.entries(laws).flatMap(([recipe, law]) =>
    [1000, 2700, 7291, 19100, 50000].flatMap((trainSize) =>
      [6, 12, 23, 46, 92].flatMap((passes) =>
        [0.97, 1, 1.03].map((f, seed) => ({
          recipe,
          trainSize,
          passes,
          seed,
          testError: f * predictError(law, trainSize, passes),
        }))
      )
    )
  );
}

Deno.test("the compute-equivalent of a known pair of laws", () => {
  const result = computeEquivalent(gridRuns(), { resamples: 40 });
  for (const [recipe, law] of Object.entries(LAWS)) {
    for (const [key, value] of Object.entries(law)) {
      const fitted = result.laws[recipe].params[key as keyof ErrorLaw];
      assert.ok(Math.abs(fitted / value - 1) < 0.02, `${recipe} ${key}: ${fitted} vs ${value}`);
    }
  }
  // Modern at (7291, 23): 0.5 + 150/√7291 + 5/23 = 2.474. The 1989 law meets it where
  // 300/√D = 2.474 − 1 − 20/23, D ≈ 246,300: 33.8× the digits; by passes alone never
  // (its floor 1 + 300/√7291 = 4.51 lies above the target).
  assert.ok(Math.abs(result.modernError.value - 2.4741) < 0.01, `${result.modernError.value}`);
  assert.ok(Math.abs(result.data.value! / 33.78 - 1) < 0.05, `k_D ${result.data.value}`);
  const [lo, hi] = result.data.ci;
  assert.ok(lo! < result.data.value! && result.data.value! < hi!, `[${lo}, ${hi}]`);
  assert.equal(result.passes.value, null);
  assert.deepEqual(result.passes.ci, [null, null]);
  assert.equal(result.passes.neverShare, 1);
  assert.ok(Math.abs(result.passes.floor - (1 + 300 / Math.sqrt(7291))) < 0.05);
  assert.equal(result.belowFloor, false);
  assert.equal(result.extrapolated, false);
  // 246,300 digits lie past the grid's 50,000; the measured cells never reach 2.474 either:
  // the 1989 mean at (50,000, 23) is 1 + 300/√50000 + 20/23 = 3.211.
  assert.equal(result.data.beyondGrid, true);
  assert.equal(result.passes.beyondGrid, false);
  assert.ok(Math.abs(result.measured!.oldError - predictError(LAWS["1989"], 7291, 23)) < 1e-9);
  assert.ok(Math.abs(result.measured!.modernError - 2.4741) < 0.01);
  assert.equal(result.measured!.data, null);
  assert.equal(result.measured!.passes, null);
});

Deno.test("the grid's own reading interpolates between the levels that bracket the target", () => {
  // The modern law is the 1989 law at 4× the digits: A halves under D^−0.5.
  const laws = { ...LAWS, modern: { ...LAWS["1989"], A: 150 } };
  const result = computeEquivalent(gridRuns(laws), { resamples: 20 });
  assert.ok(Math.abs(result.data.value! / 4 - 1) < 0.05, `k_D ${result.data.value}`);
  assert.equal(result.data.beyondGrid, false);
  // Target 1 + 150/√7291 + 20/23 = 3.626 between the 1989 means 4.040 (19,100 digits) and
  // 3.211 (50,000): t = 0.4994 of the way in log D, 30,880 digits = 4.236× 7,291.
  assert.ok(Math.abs(result.measured!.data! - 4.236) < 0.001, `${result.measured!.data}`);
  assert.equal(result.measured!.passes, null);
  const offGrid = computeEquivalent(gridRuns(laws), {
    resamples: 4,
    reference: { trainSize: 7000, passes: 23 },
  });
  assert.equal(offGrid.measured, null);
});

Deno.test("a modern error below the 1989 recipe's E is never reached", () => {
  const laws = { ...LAWS, modern: { E: 0.2, A: 20, alpha: 0.5, B: 1, beta: 1 } };
  const result = computeEquivalent(gridRuns(laws), { resamples: 20 });
  assert.equal(result.belowFloor, true);
  const small = computeEquivalent(gridRuns().filter((r) => r.trainSize < 7291), { resamples: 4 });
  assert.equal(small.extrapolated, true);
  assert.equal(result.data.value, null);
  assert.equal(result.passes.value, null);
});

Deno.test("too few points per recipe are refused in one line", () => {
  const runs = gridRuns().filter((r) => r.recipe === "1989" || r.trainSize === 1000);
  assert.throws(
    () => computeEquivalent(runs),
    /^RangeError: recipe "modern" has runs at 5 \(train size, passes\) points; the law E \+ A·D\^−α \+ B·P\^−β needs at least 6$/,
  );
});

Deno.test("analyzeIsoError writes fits.json and both figures; refuses other experiments", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.mkdir(`${dir}/trials`);
    const record = (id: number, config: Record<string, unknown>, testError: number) =>
      ({
        id: id.toString(16).padStart(16, "0"),
        experiment: "lecun1989-iso-error",
        version: "1",
        config,
        status: "ok",
        metrics: { test_error: testError },
        history: [],
        adapter: "none",
        wallSeconds: 1,
        gitCommit: null,
        startedAt: "",
        endedAt: "",
        error: null,
      }) as TrialRecord;
    let id = 0;
    for (const r of gridRuns()) {
      const config = { recipe: r.recipe, train_size: r.trainSize, passes: r.passes, seed: r.seed };
      await writeTrialRecord(dir, record(id++, config, r.testError));
    }
    const report = await analyzeIsoError(dir, { resamples: 20 });
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    assert.deepEqual(Object.keys(fits.laws), ["1989", "modern"]);
    assert.equal(fits.cells.length, 50);
    assert.equal(report.plots.length, 2);
    for (const png of report.plots) assert.ok((await Deno.stat(png)).size > 1000, png);
    assert.match(
      report.lines[2],
      /the 1989 recipe needs 3\d\.\d× \[.*\] the digits \(read beyond the measured grid\) or never/,
    );
    assert.match(
      report.lines[0],
      /^1989: error = .* \(log residuals over 75 runs: rmse 0\.0\d, largest 0\.0\d\)$/,
    );
    assert.match(report.lines[3], /^measured cells there \(no law\): 1989 5\.38%, modern 2\.47%; /);
    assert.equal(fits.measured.data, null);
    await writeTrialRecord(dir, record(999, { recipe: "2022", train_size: 1, passes: 1 }, 1));
    await assert.rejects(
      () => analyzeIsoError(dir),
      /config "recipe" is "2022", expected 1989 or modern \(is .* a lecun1989-iso-error results directory\?\)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
