import assert from "node:assert/strict";
import { type TrialRecord, writeTrialRecord } from "../../lib/sweep/store.ts";
import { analyzeIsoFlop, analyzeModelSize } from "../../lib/analysis/mod.ts";

function record(
  id: number,
  config: Record<string, number>,
  metrics: Record<string, number>,
): TrialRecord {
  return {
    id: id.toString(16).padStart(16, "0"),
    experiment: "synthetic",
    version: "1",
    config,
    status: "ok",
    metrics,
    history: [1, 2].map((k) => ({
      step: k,
      seconds: k,
      metrics: { val_loss: metrics.loss + 0.1 / k, tokens: 1000 * k },
    })),
    adapter: "none",
    wallSeconds: 1,
    gitCommit: null,
    startedAt: "2026-01-01T00:00:00Z",
    endedAt: "2026-01-01T00:00:01Z",
    error: null,
  };
}

Deno.test("model-size analysis fits L(N), writes fits.json and rendered plots", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  await Deno.mkdir(`${dir}/trials`);
  try {
    const sizes = [[1, 8, 1000], [1, 16, 3000], [1, 32, 10000], [2, 32, 30000], [2, 64, 100000]];
    for (const [i, [layers, width, n]] of sizes.entries()) {
      const loss = (1e9 / n) ** 0.08 * (1 + 0.002 * (i % 2 ? 1 : -1));
      await writeTrialRecord(dir, record(i, { layers, width }, { n, loss }));
    }
    const failed = { ...record(99, { layers: 9, width: 9 }, { n: 5 }), status: "failed" as const };
    await writeTrialRecord(dir, failed);
    const report = await analyzeModelSize(dir);
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    assert.ok(Math.abs(fits.params.alphaN - 0.08) < 0.01, `alpha ${fits.params.alphaN}`);
    assert.ok(fits.exponent_of_n.upper < 0, JSON.stringify(fits.exponent_of_n));
    assert.equal(fits.points.length, 5);
    assert.equal(fits.excluded.length, 1);
    for (const png of report.plots) {
      assert.ok((await Deno.stat(png)).size > 1000);
      assert.ok((await Deno.stat(png.replace(/\.png$/, ".svg"))).size > 1000);
    }
    assert.match(report.lines[0], /exponent of N -0\.0\d+ \[/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * IsoFLOP trials of L = E + A/N^0.35 + B/D^0.35 (a = b = 0.5) at four budgets, for the sizes
 * with 0.3 to 3000 tokens per parameter.
 */
async function writeIsoFlopTrials(dir: string, sizes: number[]) {
  await Deno.mkdir(`${dir}/trials`);
  let id = 0;
  for (const budget of [1e10, 1e11, 1e12, 1e13]) {
    for (const n of sizes) {
      const d = budget / (6 * n);
      if (d / n < 0.3 || d / n > 3000) continue;
      const loss = 1.5 + 400 / n ** 0.35 + 400 / d ** 0.35;
      await writeTrialRecord(
        dir,
        record(id++, { budget, width: 8 }, { n, loss, flops_6nd: budget }),
      );
    }
  }
}

Deno.test("isoflop analysis finds each budget's optimum and the exponents a, b", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await writeIsoFlopTrials(dir, [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6]);
    const report = await analyzeIsoFlop(dir);
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    assert.ok(Math.abs(fits.a - 0.5) < 0.05, `a ${fits.a}`);
    assert.ok(Math.abs(fits.b - 0.5) < 0.05, `b ${fits.b}`);
    assert.equal(fits.optima.length, 4);
    assert.ok(
      fits.optima.every((o: { tokens_per_parameter: number }) => o.tokens_per_parameter > 0),
    );
    // Four or five sizes a budget: most resamples repeat sizes until a parabola is degenerate.
    assert.equal(fits.a_interval, null);
    assert.match(fits.bootstrap.error, /^bootstrap failed: \d+ of 1000 refits did not succeed$/);
    assert.match(report.lines[1], /no bootstrap intervals: bootstrap failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isoflop analysis: bootstrap intervals of a, b and tokens per parameter", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await writeIsoFlopTrials(dir, Array.from({ length: 19 }, (_, i) => 1e3 * 10 ** (i / 6)));
    const report = await analyzeIsoFlop(dir);
    const fits = JSON.parse(await Deno.readTextFile(report.fits));
    for (const name of ["a", "b"]) {
      const { lower, upper } = fits[`${name}_interval`];
      assert.ok(lower <= fits[name] && fits[name] <= upper, `${name} outside [${lower}, ${upper}]`);
      assert.ok(lower < 0.5 && 0.5 < upper, `${name} interval [${lower}, ${upper}] misses 0.5`);
    }
    const tokens = fits.tokens_per_parameter_geometric_mean_interval;
    assert.ok(tokens.lower <= fits.tokens_per_parameter_geometric_mean);
    assert.ok(fits.tokens_per_parameter_geometric_mean <= tokens.upper);
    assert.deepEqual(
      [fits.bootstrap.resamples, fits.bootstrap.seed, fits.bootstrap.level],
      [1000, 0, 0.95],
    );
    assert.match(report.lines[0], /a = 0\.\d+ \[0\.\d+, 0\.\d+\]/);
    assert.match(report.lines[1], /95% bootstrap intervals: 1000 resamples/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an analysis of a directory without finished trials is one clear error", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await assert.rejects(() => analyzeModelSize(dir), /no finished trials to analyze/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
