/**
 * Plots: Vega-Lite (v5 schema) spec builders for training curves, scaling plots with fitted
 * laws and their bands, IsoFLOP profiles, the compute-optimal frontier, ablation bars,
 * error-vs-pass curves and the roofline; themes (`default`, `paper`) and figure-ready number
 * formats; rendering to SVG (vega) and PNG (resvg-wasm with DejaVu Sans), re-flowed to a width
 * on request, with data read only from the results directory being rendered; a check that a
 * rendered plot shows a visible mark in each panel; and the results-directory convention
 * `NAME.vl.json` → `NAME.svg` + `NAME.png` that `deno task plots DIR` renders.
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
  type BandRow,
  concatPlots,
  logSpaced,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  type PlotTitle,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";
export { applyTheme, PLOT_FONT, PLOT_THEMES, type PlotTheme, themeConfig } from "./theme.ts";
export {
  formatCount,
  formatNumber,
  labelLookup,
  logAxis,
  logTicks,
  naturalOrder,
  orderByValue,
  percentLabel,
  POWER_OF_TEN_LABELS,
  scientificLabels,
  superscript,
  tickLabel,
} from "./format.ts";
export {
  checkVisibleMarks,
  type MarkGroup,
  type PanelMarks,
  pathPoints,
  readMarks,
  type SvgMarks,
} from "./marks.ts";
export { readSelfContainedSpec, resolvePlotData } from "./data.ts";
export { compactPlotData } from "./compact.ts";
export { checkImage, crc32, encodePng, type RasterImage } from "./png.ts";
export { type FontAdvances, fontAdvances, useFontMetrics } from "./text_metrics.ts";
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
  frontierRange,
  type FrontierSeries,
} from "./frontier_plot.ts";
export { type AblationBarsOptions, ablationBarsSpec } from "./ablation_plot.ts";
export {
  type ErrorPanelRow,
  type ErrorPanelsOptions,
  errorPanelsSpec,
  type ErrorVsPassOptions,
  errorVsPassSpec,
  type LegendEntry,
} from "./error_plot.ts";
export { type Roof, type RooflineOptions, rooflineSpec } from "./roofline_plot.ts";
export { type CompiledPlot, compilePlot } from "./compile.ts";
export { type RenderedPlot, type RenderOptions, renderPlotSvg, svgToPng } from "./render.ts";
export {
  PLOT_SPEC_SUFFIX,
  type PlotFileOptions,
  type RenderedPlotFiles,
  renderPlotDirectory,
  renderPlotFile,
  writePlotSpec,
} from "./directory.ts";
export {
  type AttributionBar,
  attributionBarsSpec,
  type HeatmapCell,
  interactionHeatmapSpec,
} from "./factorial_plot.ts";
export { type ErrorSurface, isoErrorSpec, lawFitSpec } from "./iso_error_plot.ts";
