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
  readMarks,
  renderPlotSvg,
  scalingPlotSpec,
  themeConfig,
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
  assert.equal(countItems(svg, "symbol", "layer_1"), 5);
  assert.equal(countGroups(svg, "line"), 2);
  assert.match(svg, /L = 4·x\^-0\.05</);
  assert.match(svg, /L = 4\.1·x\^-0\.051</);
  const colored = await renderClean(
    scalingPlotSpec(points, { x: "n", y: "loss", color: { field: "size" } }),
  );
  assert.equal(countItems(colored, "symbol"), 5);
  assert.throws(
    () =>
      scalingPlotSpec(points, {
        x: "n",
        y: "loss",
        color: { field: "size" },
        laws: [{ label: "L", predict: () => 1, series: "s9" }],
      }),
    {
      message:
        'scaling plot: law "L" is drawn for series "s9", which no point has; series: s0, s1, s2, s3, s4',
    },
  );
});

/** The fill or stroke colours drawn by mark groups whose name contains `layer`. */
function colours(svg: string, layer: string): Set<string> {
  const found = new Set<string>();
  for (const match of svg.matchAll(/<g class="mark-\w+ role-mark ([^"]*)"[^>]*>(.*?)<\/g>/g)) {
    if (!match[1].includes(layer)) continue;
    for (const c of match[2].matchAll(/ (?:fill|stroke)="(#[0-9a-f]{6})"/g)) found.add(c[1]);
  }
  return found;
}

Deno.test("scaling plot: a series' points, curve and band share its colour; equations join its legend entry", async () => {
  // Two series whose labels sort wrongly as strings ("N = 888" after "N = 3,312").
  const rows = [888, 3312].flatMap((n) =>
    [1e4, 1e5, 1e6].map((d) => ({
      d,
      loss: 2 + 100 / d ** 0.3 + n ** -0.1,
      model: `N = ${n.toLocaleString("en-US")}`,
    }))
  );
  const band = [{ x: 1e4, lower: 2.5, upper: 3 }, { x: 1e6, lower: 2.2, upper: 2.4 }];
  const spec = scalingPlotSpec(rows, {
    x: "d",
    y: "loss",
    color: { field: "model" },
    laws: [
      { label: "L = 2 + 100/D^0.3", series: "N = 888", predict: (d) => 2.5 + 100 / d ** 0.3, band },
      { label: "L = 2 + 90/D^0.3", series: "N = 3,312", predict: (d) => 2.4 + 90 / d ** 0.3 },
    ],
  });
  const svg = await renderClean(spec);
  const [first, second] = themeConfig().range.category;
  // Natural order: N = 888 first, so it takes the first palette colour everywhere.
  assert.deepEqual(colours(svg, "layer_0"), new Set([first]), "the band");
  assert.deepEqual(colours(svg, "layer_1"), new Set([first, second]), "the curves");
  assert.deepEqual(colours(svg, "layer_2"), new Set([first, second]), "the points");
  assert.match(svg, />N = 888: L = 2 \+ 100\/D\^0\.3</);
  assert.ok(svg.indexOf(">N = 888: ") < svg.indexOf(">N = 3,312: "), "legend in value order");
  assert.equal(countItems(svg, "area"), 1);
});

Deno.test("IsoFLOP profiles: runs, one parabola per budget, and the minima", async () => {
  const svg = await renderClean(isoFlopSpec(ISOFLOP, { title: "IsoFLOP" }));
  assert.equal(countItems(svg, "symbol", "layer_0"), 21);
  assert.equal(countGroups(svg, "line", "layer_1"), 3);
  assert.equal(countItems(svg, "symbol", "layer_2"), 3);
  assert.match(svg, />10¹⁹</);
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

Deno.test("IsoFLOP figure: profiles over the two frontier panels, within 800 px", async () => {
  const spec = isoFlopFigureSpec(ISOFLOP, [
    { label: "approach 3", law: parametricComputeOptimalLaw(CHINCHILLA_PUBLISHED) },
  ]);
  const svg = await renderClean(spec);
  assert.equal(countItems(svg, "symbol", "concat_0_layer_2"), 3);
  assert.equal(countGroups(svg, "line", "concat_1_concat_0"), 2);
  assert.equal(countGroups(svg, "line", "concat_1_concat_1"), 2);
  assert.equal(readMarks(svg).panels.length, 3);
  assert.ok(Number(svg.match(/width="(\d+)"/)![1]) <= 800, "readable at README width");
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
