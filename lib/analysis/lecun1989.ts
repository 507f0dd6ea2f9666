/**
 * The LeCun 1989 reproduction's figure: train and test error after each pass of every recipe of
 * the modernization ladder (mean over seeds, min–max band), from the run files of
 * `deno task repro` (`DIR/runs/*.json`), written as `error-curves.vl.json` + SVG + PNG.
 *
 * @module
 */
import { readRunFiles } from "../lecun/report.ts";
import type { RunResult } from "../lecun/run.ts";
import { type ErrorPanelRow, errorPanelsSpec } from "../plot/error_plot.ts";
import { formatCount } from "../plot/format.ts";
import type { PlotSpec } from "../plot/spec.ts";
import { writePlot } from "./common.ts";
import { lecunRecipe, lecunRecipeLabel, lecunRecipeRank } from "./labels.ts";

const PANELS = ["train error", "test error"];

/**
 * The error-curves figure of `runs` (each run's history, pass 1 on).
 *
 * @example
 * ```ts
 * const spec = lecunErrorCurvesSpec(await readRunFiles("results/lecun1989"));
 * ```
 */
export function lecunErrorCurvesSpec(runs: readonly RunResult[]): PlotSpec {
  if (runs.length === 0) throw new RangeError("LeCun error curves: no runs to plot");
  const groups = new Map<string, { color: string; dash: string; runs: RunResult[] }>();
  const recipes: string[] = [];
  const sizes = new Set<number>();
  for (const run of runs) {
    const color = lecunRecipe(run.config.variant);
    const dash = String(run.config.trainSize);
    sizes.add(run.config.trainSize);
    if (!recipes.includes(color)) recipes.push(color);
    const key = `${color}|${dash}`;
    const group = groups.get(key) ?? { color, dash, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  const rows: ErrorPanelRow[] = [];
  for (const { color, dash, runs: mine } of groups.values()) {
    const passes = Math.min(...mine.map((r) => r.history.length - 1));
    for (let pass = 1; pass <= passes; pass++) {
      for (const [panel, split] of [[PANELS[0], "train"], [PANELS[1], "test"]] as const) {
        const errors = mine.map((r) => r.history[pass][split].error);
        rows.push({
          panel,
          color,
          dash,
          pass,
          mean: errors.reduce((a, b) => a + b, 0) / errors.length,
          low: Math.min(...errors),
          high: Math.max(...errors),
        });
      }
    }
  }
  return errorPanelsSpec(rows, {
    panels: PANELS,
    colors: recipes.map((key) => ({ key, label: lecunRecipeLabel(key) })),
    dashes: [...sizes].sort((a, b) => a - b)
      .map((n) => ({ key: String(n), label: `${formatCount(n)} train digits` })),
    colorTitle: "recipe (each adds to the one above)",
    title: "LeCun 1989 and its modernization ladder: error per pass",
  });
}

/**
 * Reads `DIR/runs/*.json` and writes `DIR/error-curves.vl.json`, `.svg` and `.png`; returns the
 * PNG path.
 *
 * @example
 * ```ts
 * await writeLecunErrorCurves("results/lecun1989");
 * ```
 */
export async function writeLecunErrorCurves(dir: string): Promise<string> {
  const runs = await readRunFiles(dir);
  if (runs.length === 0) throw new Error(`${dir}/runs: no LeCun run files to plot`);
  return await writePlot(dir, "error-curves", lecunErrorCurvesSpec(sortRuns(runs)));
}

/** Runs in ladder order (the order of `VARIANTS`), then by seed. */
function sortRuns(runs: RunResult[]): RunResult[] {
  return [...runs].sort((a, b) =>
    lecunRecipeRank(a.config.variant) - lecunRecipeRank(b.config.variant) ||
    a.config.trainSize - b.config.trainSize || a.config.seed - b.config.seed
  );
}
