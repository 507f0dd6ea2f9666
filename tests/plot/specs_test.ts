import assert from "node:assert/strict";
import {
  ablationBarsSpec,
  compilePlot,
  computeOptimalFrontierSpec,
  concatPlots,
  errorVsPassSpec,
  isoFlopFigureSpec,
  isoFlopSpec,
  type PlotSpec,
  renderPlotSvg,
  scalingPlotSpec,
  trainingCurvesSpec,
  VEGA_LITE_SCHEMA,
} from "../../lib/plot/mod.ts";
import {
  CHINCHILLA_PUBLISHED,
  computeOptimalAllocation,
  isoFlopApproach,
  parametricComputeOptimalLaw,
  predictChinchillaLoss,
} from "../../lib/scaling/mod.ts";
import { countGroups, countItems } from "./svg_marks.ts";

/** Compiles without warnings, declares the v5 schema, and renders; returns the SVG. */
async function renderClean(spec: PlotSpec): Promise<string> {
  assert.equal(spec.$schema, VEGA_LITE_SCHEMA);
  assert.deepEqual(compilePlot(spec).warnings, []);
  const { svg, warnings } = await renderPlotSvg(spec);
  assert.deepEqual(warnings, []);
  assert.match(svg, /^<svg [^>]*width="\d+" height="\d+"/);
  return svg;
}

const CURVES = ["d64", "d128", "d256"].flatMap((config, k) =>
  [1, 10, 100, 1000].map((step) => ({
    step,
    tokens: step * 4096,
    loss: 5 / (k + 1) * step ** -0.2,
    config,
  }))
);

/** IsoFLOP runs from the published Chinchilla law: 3 budgets × 7 sizes. */
const ISOFLOP = isoFlopApproach([1e18, 1e19, 1e20].flatMap((flops) => {
  const best = computeOptimalAllocation(CHINCHILLA_PUBLISHED, flops).n;
  return [0.25, 0.4, 0.6, 1, 1.6, 2.5, 4].map((f) => ({
    n: best * f,
    flops,
    loss: predictChinchillaLoss(CHINCHILLA_PUBLISHED, best * f, flops / (6 * best * f)),
  }));
}));

Deno.test("training curves: one line per configuration on log axes", async () => {
  const svg = await renderClean(trainingCurvesSpec(CURVES, { x: "tokens", title: "loss" }));
  assert.equal(countGroups(svg, "line"), 3);
  assert.match(svg, /d128/);
});

Deno.test("scaling plot: every point, one line per law, equations in the legend", async () => {
  const points = [1e6, 3e6, 1e7, 3e7, 1e8].map((n, i) => ({
    n,
    loss: 4 * n ** -0.05,
    size: `s${i}`,
  }));
  const spec = scalingPlotSpec(points, {
    x: "n",
    y: "loss",
    laws: [
      { label: "L = 4·x^-0.05", predict: (n) => 4 * n ** -0.05 },
      { label: "L = 4.1·x^-0.051", predict: (n) => 4.1 * n ** -0.051, domain: [1e5, 1e9] },
    ],
  });
  const svg = await renderClean(spec);
  assert.equal(countItems(svg, "symbol", "layer_0"), 5);
  assert.equal(countGroups(svg, "line"), 2);
  assert.match(svg, /L = 4·x\^-0\.05</);
  assert.match(svg, /L = 4\.1·x\^-0\.051</);
  const colored = await renderClean(
    scalingPlotSpec(points, { x: "n", y: "loss", color: { field: "size" } }),
  );
  assert.equal(countItems(colored, "symbol"), 5);
});

Deno.test("IsoFLOP profiles: runs, one parabola per budget, and the minima", async () => {
  const svg = await renderClean(isoFlopSpec(ISOFLOP, { title: "IsoFLOP" }));
  assert.equal(countItems(svg, "symbol", "layer_0"), 21);
  assert.equal(countGroups(svg, "line", "layer_1"), 3);
  assert.equal(countItems(svg, "symbol", "layer_2"), 3);
  assert.match(svg, />1e19</);
});

Deno.test("compute-optimal frontier: a line per estimate and its optima", async () => {
  const series = [
    {
      label: "approach 2",
      law: ISOFLOP.law,
      points: ISOFLOP.profiles.map((p) => ({ flops: p.flops, n: p.nOpt, d: p.dOpt })),
    },
    { label: "approach 3", law: parametricComputeOptimalLaw(CHINCHILLA_PUBLISHED) },
  ];
  for (const quantity of ["n", "d"] as const) {
    const svg = await renderClean(computeOptimalFrontierSpec(series, { quantity }));
    assert.equal(countGroups(svg, "line"), 2);
    assert.equal(countItems(svg, "symbol"), 3);
    assert.match(svg, quantity === "n" ? /approach 3: N_opt ∝ C\^0\.452/ : /D_opt ∝ C\^0\.548/);
  }
  assert.throws(() => computeOptimalFrontierSpec([{ label: "x", law: ISOFLOP.law }]), {
    message: "compute-optimal frontier: give flopsRange when no series has points",
  });
});

Deno.test("IsoFLOP figure: three panels side by side compile cleanly", async () => {
  const spec = isoFlopFigureSpec(ISOFLOP, [
    { label: "approach 3", law: parametricComputeOptimalLaw(CHINCHILLA_PUBLISHED) },
  ]);
  const svg = await renderClean(spec);
  assert.equal(countItems(svg, "symbol", "concat_0_layer_2"), 3);
  assert.equal(countGroups(svg, "line", "concat_1"), 2);
  assert.equal(countGroups(svg, "line", "concat_2"), 2);
  const stacked = concatPlots([isoFlopSpec(ISOFLOP), isoFlopSpec(ISOFLOP)], {
    direction: "vertical",
  });
  assert.equal(("vconcat" in stacked) && stacked.vconcat.length, 2);
  assert.equal(countGroups(await renderClean(stacked), "line"), 6);
});

Deno.test("ablation bars: a bar, an error bar and a reference tick per variant", async () => {
  const rows = [
    { label: "baseline", mean: 0.0409, std: 0.002, paper: 0.05 },
    { label: "+ cross-entropy", mean: 0.0438, std: 0.003, paper: 0.0438 },
    { label: "+ AdamW", mean: 0.0359, std: 0.002, paper: 0.0359 },
    { label: "+ augment", mean: 0.0219, std: 0.001, paper: 0.0219 },
  ];
  const svg = await renderClean(ablationBarsSpec(rows, { reference: "paper", percent: true }));
  assert.equal(countItems(svg, "rect", "layer_0"), 4);
  assert.equal(countItems(svg, "rule", "layer_1"), 4);
  assert.equal(countItems(svg, "rect", "layer_2"), 4);
  const plain = await renderClean(ablationBarsSpec(rows));
  assert.equal(countGroups(plain, "rect"), 1);
});

Deno.test("error vs pass: a line with points per series and an optional band", async () => {
  const rows = ["train", "test"].flatMap((series, k) =>
    [1, 2, 3, 4, 5].map((pass) => ({
      pass,
      error: (0.1 - 0.01 * pass) * (k + 1),
      series,
      low: (0.09 - 0.01 * pass) * (k + 1),
      high: (0.11 - 0.01 * pass) * (k + 1),
    }))
  );
  const svg = await renderClean(errorVsPassSpec(rows, { band: { lower: "low", upper: "high" } }));
  assert.equal(countGroups(svg, "line"), 2);
  assert.equal(countItems(svg, "symbol"), 10);
  assert.equal(countGroups(svg, "area"), 2);
});

Deno.test("spec builders name a missing field in one line", () => {
  assert.throws(() => trainingCurvesSpec([{ step: 1, loss: 2 }]), {
    message: 'training curves: row 1 has no field "config"; available fields: "step", "loss"',
  });
  assert.throws(() => scalingPlotSpec([], { x: "n", y: "loss" }), {
    message: "scaling plot: no rows to plot",
  });
  assert.throws(() => scalingPlotSpec([{ n: 0, loss: 1 }], { x: "n", y: "loss" }), {
    message: 'field "n" has no positive numbers to put on a log axis',
  });
});
