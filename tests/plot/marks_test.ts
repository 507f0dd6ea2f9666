import assert from "node:assert/strict";
import {
  checkVisibleMarks,
  concatPlots,
  pathPoints,
  readMarks,
  renderPlotSvg,
  trainingCurvesSpec,
  VEGA_LITE_SCHEMA,
} from "../../lib/plot/mod.ts";

const ROWS = [1, 2, 3].map((step) => ({ step, loss: 3 - step / 2, config: "a" }));

Deno.test("visible marks: a chart that shows its data passes, one panel per view", async () => {
  const { svg } = await renderPlotSvg(trainingCurvesSpec(ROWS));
  assert.deepEqual(checkVisibleMarks(svg, "ok.svg"), []);
  const { panels } = readMarks(svg);
  assert.equal(panels.length, 1);
  assert.equal(panels[0].visible, 1);
});

Deno.test("visible marks: a log axis fed zeros draws its lines on the frame and fails", async () => {
  // The published error-curves spec before the fix: the mean train error of AdamW reaches 0.
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    data: { values: [1, 2, 3].map((pass) => ({ pass, error: pass === 3 ? 0 : 5 / pass })) },
    mark: "line",
    encoding: {
      x: { field: "pass", type: "quantitative" },
      y: { field: "error", type: "quantitative", scale: { type: "log" } },
    },
  };
  const { svg, warnings } = await renderPlotSvg(spec as never);
  assert.match(warnings.join("\n"), /Log scale domain includes zero/);
  assert.deepEqual(checkVisibleMarks(svg, "zero.svg"), [
    "zero.svg: the plot draws 1 mark items but none is visible inside its data area",
  ]);
});

Deno.test("visible marks: an empty panel of a figure is named; no data at all is an empty plot", async () => {
  const empty = trainingCurvesSpec(ROWS.map((r) => ({ ...r, loss: -1 })), { logY: false });
  const filtered = { ...empty, transform: [{ filter: "datum.loss > 0" }] };
  const figure = concatPlots([trainingCurvesSpec(ROWS), filtered as never]);
  const { svg } = await renderPlotSvg(figure);
  assert.deepEqual(checkVisibleMarks(svg, "f.svg"), [
    "f.svg: no data marks drawn in panel 2 of 2",
  ]);
  const { svg: nothing } = await renderPlotSvg(filtered as never);
  assert.deepEqual(checkVisibleMarks(nothing, "n.svg"), [
    "n.svg: no data marks drawn (an empty plot)",
  ]);
});

Deno.test("visible marks: transparent items do not count", () => {
  const svg = `<svg><g transform="translate(10,10)"><g class="mark-group role-frame root">` +
    `<g transform="translate(0,0)"><path class="background" d="M0.5,0.5h100v50h-100Z"/><g>` +
    `<g class="mark-symbol role-mark marks"><path transform="translate(50,25)" d="M2,0A2,2,0,1,1,-2,0" fill="#4c78a8" opacity="0"/></g>` +
    `</g></g></g></g></svg>`;
  assert.deepEqual(checkVisibleMarks(svg, "t.svg"), [
    "t.svg: the plot draws 1 mark items but none is visible inside its data area",
  ]);
  assert.equal(readMarks(svg.replace(' opacity="0"', "")).panels[0].visible, 1);
});

Deno.test("pathPoints: absolute and relative commands, segment midpoints, NaN skipped", () => {
  assert.deepEqual(pathPoints("M0,0h10v20h-10Z"), [
    [0, 0],
    [5, 0],
    [10, 0],
    [10, 10],
    [10, 20],
    [5, 20],
    [0, 20],
    [0, 10],
    [0, 0],
  ]);
  assert.deepEqual(pathPoints("M1,1L3,3"), [[1, 1], [2, 2], [3, 3]]);
  assert.deepEqual(pathPoints("M1,1LNaN,NaN"), [[1, 1]]);
});
