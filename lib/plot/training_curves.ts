/**
 * Training curves: loss against step, tokens or FLOPs, one line per configuration.
 *
 * @module
 */

import {
  LOG_SCALE,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** Fields and axes of {@link trainingCurvesSpec}. */
export interface TrainingCurvesOptions extends PlotLayout {
  /** Field on the x axis (default `"step"`; e.g. `"tokens"`, `"flops"`). */
  x?: string;
  /** Field on the y axis (default `"loss"`). */
  y?: string;
  /** Field naming the configuration of each curve (default `"config"`). */
  color?: string;
  /** Axis titles (default: the field names). */
  xTitle?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Legend title. */
  colorTitle?: string;
  /** Log x axis (default: true unless x is `"step"`). */
  logX?: boolean;
  /** Log y axis (default true). */
  logY?: boolean;
}

/**
 * Loss curves of several runs, colored by configuration, on log axes by default.
 *
 * @example
 * ```ts
 * const spec = trainingCurvesSpec([
 *   { step: 1, loss: 4.2, config: "d=64" }, { step: 100, loss: 2.9, config: "d=64" },
 *   { step: 1, loss: 4.1, config: "d=128" }, { step: 100, loss: 2.6, config: "d=128" },
 * ]);
 * ```
 */
export function trainingCurvesSpec(
  rows: readonly PlotRow[],
  options: TrainingCurvesOptions = {},
): PlotSpec {
  const x = options.x ?? "step";
  const y = options.y ?? "loss";
  const color = options.color ?? "config";
  requireFields(rows, [x, y, color], "training curves");
  const logX = options.logX ?? x !== "step";
  const logY = options.logY ?? true;
  return topLevelSpec({
    data: { values: rows },
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: options.xTitle ?? x,
        scale: logX ? LOG_SCALE : { zero: false },
        axis: logX ? { format: x === "flops" ? ".0e" : "~s" } : {},
      },
      y: {
        field: y,
        type: "quantitative",
        title: options.yTitle ?? y,
        scale: logY ? LOG_SCALE : { zero: false },
      },
      color: { field: color, type: "nominal", title: options.colorTitle ?? color },
      order: { field: x, type: "quantitative" },
      tooltip: [
        { field: color, type: "nominal" },
        { field: x, type: "quantitative" },
        { field: y, type: "quantitative", format: ".4f" },
      ],
    },
  }, options);
}
