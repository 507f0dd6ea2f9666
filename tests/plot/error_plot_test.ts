import assert from "node:assert/strict";
import { lecunErrorCurvesSpec } from "../../lib/analysis/lecun1989.ts";
import type { RunResult } from "../../lib/lecun/run.ts";
import { lecunConfig } from "../../lib/lecun/config.ts";
import { checkVisibleMarks, errorVsPassSpec, renderPlotSvg } from "../../lib/plot/mod.ts";
import { countGroups } from "./svg_marks.ts";

/** A run whose train error falls to 0 (as AdamW's does), test error to `test`%. */
function run(variant: string, seed: number, passes: number, test: number): RunResult {
  const split = (error: number) => ({
    loss: error / 100,
    error,
    misses: Math.round(error),
    count: 100,
  });
  const history = Array.from({ length: passes + 1 }, (_, pass) => ({
    pass,
    lr: 0.01,
    train: split(pass >= passes - 1 ? 0 : 10 / (pass + 1)),
    test: split(test + 5 / (pass + 1)),
    seconds: pass,
  }));
  return {
    config: lecunConfig(variant, { passes, seed }),
    history,
    final: history[passes],
    wallSeconds: 1,
    compileSeconds: 0,
    groupSize: 1,
    adapter: "test",
  } as unknown as RunResult;
}

Deno.test("LeCun error curves: zero train error drawn on the stated floor, every panel visible", async () => {
  const runs = [run("baseline", 1, 5, 4), run("baseline", 2, 5, 4.5), run("adamw", 1, 8, 3)];
  const spec = lecunErrorCurvesSpec(runs);
  const { svg, warnings } = await renderPlotSvg(spec);
  assert.deepEqual(warnings, [], "no log scale fed a zero");
  assert.deepEqual(checkVisibleMarks(svg, "error-curves.svg"), []);
  assert.match(svg, /0 misses and errors under 0\.01% drawn on the dotted floor/);
  assert.match(svg, />LeCun 1989 baseline \(tanh, MSE, SGD\)</);
  assert.match(svg, />\+ AdamW, lr 3e-4 → 1e-4</);
  // Two recipes in two panels, each a mean line and a seed band.
  assert.equal(countGroups(svg, "line"), 4);
  assert.equal(countGroups(svg, "area"), 4);
  assert.throws(() => lecunErrorCurvesSpec([]), /no runs to plot/);
});

Deno.test("error vs pass on a log axis floors zeros instead of dropping the plot", async () => {
  const rows = [1, 2, 3].map((pass) => ({
    pass,
    error: pass === 3 ? 0 : 0.1 / pass,
    series: "train",
  }));
  const { svg, warnings } = await renderPlotSvg(errorVsPassSpec(rows, { logY: true }));
  assert.deepEqual(warnings, []);
  assert.deepEqual(checkVisibleMarks(svg, "live.svg"), []);
});
