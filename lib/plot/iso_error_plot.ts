/**
 * Figures of an error law over two budgets (train digits D and passes P): iso-error curves
 * (the (D, P) at which each recipe reaches an error level) and the measured errors against D
 * at each number of passes with the law drawn through them.
 *
 * @module
 */

import {
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** A recipe's fitted error at D digits and P passes (decreasing in P). */
export interface ErrorSurface {
  recipe: string;
  predict: (trainSize: number, passes: number) => number;
}

/** Levels, ranges and marks of {@link isoErrorSpec}. */
export interface IsoErrorOptions extends PlotLayout {
  /** Error levels (percent) to draw a curve for. */
  levels: readonly number[];
  /** Ranges of D and P drawn. */
  trainSizes: [number, number];
  passes: [number, number];
  /** Measured (D, P) points, drawn as gray crosses. */
  measured?: readonly { trainSize: number; passes: number }[];
  /** A level drawn thicker (e.g. the error both recipes are compared at). */
  highlight?: number;
  /** One marked budget with its label (e.g. the reference of a comparison). */
  mark?: { trainSize: number; passes: number; label: string };
  /** Samples of D per curve (default 80). */
  samples?: number;
}

/** P in [low, high] at which `f(P)` (decreasing) meets `level`, or null outside the range. */
function solvePasses(f: (p: number) => number, level: number, [low, high]: [number, number]) {
  if (!(f(high) <= level) || !(f(low) >= level)) return null;
  let [a, b] = [Math.log(low), Math.log(high)];
  for (let i = 0; i < 60; i++) {
    const mid = (a + b) / 2;
    if (f(Math.exp(mid)) > level) a = mid;
    else b = mid;
  }
  return Math.exp((a + b) / 2);
}

/**
 * Iso-error curves of each recipe on log D × log P axes: color is the error level, the dash
 * the recipe.
 *
 * @example
 * ```ts
 * const spec = isoErrorSpec([
 *   { recipe: "1989", predict: (d, p) => 1 + 300 / d ** 0.5 + 20 / p },
 * ], { levels: [4, 6], trainSizes: [1000, 50000], passes: [6, 92] });
 * ```
 */
export function isoErrorSpec(
  surfaces: readonly ErrorSurface[],
  options: IsoErrorOptions,
): PlotSpec {
  if (surfaces.length === 0) throw new RangeError("iso-error plot: no recipes to draw");
  if (options.levels.length === 0) throw new RangeError("iso-error plot: no error levels given");
  const label = (level: number) => `${+level.toPrecision(3)}%`;
  const curves = surfaces.flatMap(({ recipe, predict }) =>
    options.levels.flatMap((level) =>
      logSpaced(...options.trainSizes, options.samples ?? 80).flatMap((trainSize) => {
        const passes = solvePasses((p) => predict(trainSize, p), level, options.passes);
        const highlight = level === options.highlight;
        return passes === null
          ? []
          : [{ recipe, level: label(level), trainSize, passes, highlight }];
      })
    )
  );
  if (curves.length === 0) {
    throw new RangeError("iso-error plot: no level is reached inside the drawn ranges");
  }
  const x = {
    field: "trainSize",
    type: "quantitative",
    title: "train digits D",
    scale: { ...LOG_SCALE, domain: options.trainSizes },
    axis: { format: "~s" },
  };
  const y = {
    field: "passes",
    type: "quantitative",
    title: "passes P",
    scale: { ...LOG_SCALE, domain: options.passes },
  };
  const layer: Record<string, unknown>[] = [{
    data: { values: curves },
    mark: { type: "line", clip: true },
    encoding: {
      x,
      y,
      strokeWidth: { condition: { test: "datum.highlight", value: 4 }, value: 1.8 },
      color: {
        field: "level",
        type: "ordinal",
        title: "test error",
        sort: options.levels.map(label),
        scale: { scheme: "viridis" },
      },
      strokeDash: { field: "recipe", type: "nominal", title: "recipe" },
      order: { field: "trainSize", type: "quantitative" },
    },
  }];
  if (options.measured?.length) {
    layer.push({
      data: { values: options.measured },
      mark: { type: "point", shape: "cross", color: "#999", size: 30 },
      encoding: { x, y },
    });
  }
  if (options.mark) {
    layer.push({
      data: { values: [options.mark] },
      mark: { type: "point", filled: true, color: "black", size: 70 },
      encoding: { x, y },
    }, {
      data: { values: [options.mark] },
      mark: { type: "text", align: "left", dx: 8, dy: -8, fontSize: 11 },
      encoding: { x, y, text: { field: "label" } },
    });
  }
  return topLevelSpec({ layer }, options);
}

/** A measured point of {@link lawFitSpec}: a cell mean. */
export interface LawFitPoint {
  trainSize: number;
  passes: number;
  /** Test error in percent. */
  error: number;
}

/**
 * Errors against D on log-log axes, one color per number of passes, with the law's curve at
 * each of those passes.
 *
 * @example
 * ```ts
 * const spec = lawFitSpec([{ trainSize: 1000, passes: 6, error: 9 }, { trainSize: 7291, passes: 6, error: 5 }],
 *   (d, p) => 1 + 300 / d ** 0.5 + 20 / p, { title: "1989" });
 * ```
 */
export function lawFitSpec(
  points: readonly LawFitPoint[],
  predict: (trainSize: number, passes: number) => number,
  layout: PlotLayout = {},
): PlotSpec {
  requireFields(points as never, ["trainSize", "passes", "error"], "law fit plot");
  const sizes = points.map((p) => p.trainSize);
  const passes = [...new Set(points.map((p) => p.passes))].sort((a, b) => a - b);
  const curves = passes.flatMap((p) =>
    logSpaced(Math.min(...sizes), Math.max(...sizes), 60).map((trainSize) => ({
      trainSize,
      passes: p,
      error: predict(trainSize, p),
    }))
  );
  const x = {
    field: "trainSize",
    type: "quantitative",
    title: "train digits D",
    scale: LOG_SCALE,
    axis: { format: "~s" },
  };
  const y = { field: "error", type: "quantitative", title: "test error (%)", scale: LOG_SCALE };
  const color = { field: "passes", type: "ordinal", title: "passes", sort: passes };
  return topLevelSpec({
    layer: [
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 40 },
        encoding: { x, y, color },
      },
      {
        data: { values: curves },
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: { x, y, color, order: { field: "trainSize", type: "quantitative" } },
      },
    ],
  }, { width: 360, height: 280, ...layout });
}
