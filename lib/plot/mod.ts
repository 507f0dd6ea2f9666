/**
 * Plots: Vega-Lite (v5 schema) spec builders for training curves, scaling plots with fitted
 * laws, IsoFLOP profiles, the compute-optimal frontier, ablation bars, error-vs-pass curves and
 * the roofline; rendering to SVG (vega) and PNG (resvg-wasm with DejaVu Sans); and the results-directory
 * convention `NAME.vl.json` → `NAME.svg` + `NAME.png` that `deno task plots DIR` renders.
 *
 * @example
 * ```ts
 * import { renderPlotSvg, svgToPng, trainingCurvesSpec } from "./lib/plot/mod.ts";
 * const { svg } = await renderPlotSvg(trainingCurvesSpec(rows, { x: "tokens" }));
 * const png = await svgToPng(svg);
 * ```
 *
 * @module
 */
export {
  concatPlots,
  logSpaced,
  PLOT_FONT,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";
export { type TrainingCurvesOptions, trainingCurvesSpec } from "./training_curves.ts";
export {
  type FittedCurve,
  type PointColor,
  type ScalingPlotOptions,
  scalingPlotSpec,
} from "./scaling_plot.ts";
export {
  flopsLabel,
  isoFlopFigureSpec,
  type IsoFlopPlotOptions,
  isoFlopSpec,
} from "./isoflop_plot.ts";
export {
  computeOptimalFrontierSpec,
  type FrontierPlotOptions,
  type FrontierSeries,
} from "./frontier_plot.ts";
export { type AblationBarsOptions, ablationBarsSpec } from "./ablation_plot.ts";
export { type ErrorVsPassOptions, errorVsPassSpec } from "./error_plot.ts";
export { type Roof, type RooflineOptions, rooflineSpec } from "./roofline_plot.ts";
export { type CompiledPlot, compilePlot } from "./compile.ts";
export {
  plotMimeBundle,
  type RenderedPlot,
  type RenderOptions,
  renderPlotSvg,
  svgToPng,
} from "./render.ts";
export {
  PLOT_SPEC_SUFFIX,
  type RenderedPlotFiles,
  renderPlotDirectory,
  renderPlotFile,
  writePlotSpec,
} from "./directory.ts";
