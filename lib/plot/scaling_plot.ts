/**
 * Scaling plots: observations of a loss against N, D or C on log-log axes with fitted laws and
 * their 95% bands drawn over them.
 *
 * Colours follow series: points, the laws fitted to them and the laws' bands share one colour
 * per series, in the series' value order. A law drawn for one series carries its equation in
 * that series' legend entry; a law whose equation is shared by several series (one joint fit
 * drawn at each N), or one drawn dashed, gets a line-style legend entry instead. A law with no
 * series is its own legend entry (and colours the points when it is the only law and they have
 * no series).
 *
 * @module
 */

import { labelLookup, logAxis, naturalOrder, POWER_OF_TEN_LABELS } from "./format.ts";
import {
  type BandRow,
  BOTTOM_LEGEND,
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  positiveExtent,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** A fitted law to draw. */
export interface FittedCurve {
  /** Legend text: the law with its constants, e.g. `L = 1.82 + 478/N^0.347 + 2140/D^0.367`. */
  label: string;
  /** Predicted y at x. */
  predict: (x: number) => number;
  /** x range to draw over (default: the points' x range). */
  domain?: [number, number];
  /** The series (a value of the points' colour field) the law is drawn for: its colour. */
  series?: string;
  /** Its 95% band at sampled x, drawn as a shaded area in the law's colour. */
  band?: readonly BandRow[];
  /** Line style (default solid); a dashed law gets a line-style legend entry. */
  dashed?: boolean;
}

/** How points are coloured. */
export interface PointColor {
  /** Field holding the colour value. */
  field: string;
  /** Legend title (default: the field). */
  title?: string;
  /**
   * `"nominal"` (default) or `"ordinal"`: one colour per series, shared with the laws drawn for
   * it; `"quantitative"`: a colour gradient on the points only.
   */
  type?: "nominal" | "ordinal" | "quantitative";
  /** Log colour scale (quantitative only). */
  log?: boolean;
  /** Series in legend order (default: natural order of the values, numbers by value). */
  order?: readonly string[];
}

/** Fields, axes and laws of {@link scalingPlotSpec}. */
export interface ScalingPlotOptions extends PlotLayout {
  /** Field on the x axis (N, D or C). */
  x: string;
  /** Field on the y axis (a loss). */
  y: string;
  /** X axis title. */
  xTitle?: string;
  /** d3 format of x tick labels (default: powers of ten, `2×10⁹`). */
  xFormat?: string;
  /** Y axis title. */
  yTitle?: string;
  /** Colour points by a field. */
  color?: PointColor;
  /** Fitted laws drawn as lines. */
  laws?: readonly FittedCurve[];
  /** Title of the line-style legend (default `"fit"`, saying what the shading is when shaded). */
  lawTitle?: string;
  /** Log y axis (default true). */
  logY?: boolean;
  /** Points sampled along each law (default 40). */
  samples?: number;
  /** Field written as a small label beside each point (e.g. the model's shape). */
  pointLabel?: string;
  /** Extra fields shown in the points' tooltips. */
  tooltip?: readonly string[];
}

/** Field names of the law and band rows (chosen not to collide with data fields). */
const SERIES = "__series";
const LAW = "__law";
const STYLE = "__style";
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];

/**
 * Observations with fitted laws (and their bands) on log-log axes.
 *
 * @example
 * ```ts
 * const spec = scalingPlotSpec(rows, {
 *   x: "n", y: "loss",
 *   laws: [{ label: "L = (1.2×10⁵/N)^0.056", predict: (n) => (1.2e5 / n) ** 0.056, band }],
 * });
 * ```
 */
export function scalingPlotSpec(points: readonly PlotRow[], options: ScalingPlotOptions): PlotSpec {
  const { x, y } = options;
  const color = options.color;
  requireFields(points, color ? [x, y, color.field] : [x, y], "scaling plot");
  const [xMin, xMax] = positiveExtent(points, x);
  const logY = options.logY ?? true;
  const samples = options.samples ?? 40;
  const laws = options.laws ?? [];
  const gradient = color?.type === "quantitative";
  const xAxis = {
    field: x,
    type: "quantitative",
    title: options.xTitle ?? x,
    scale: LOG_SCALE,
    axis: options.xFormat
      ? { format: options.xFormat }
      : logAxis([xMin, xMax, ...laws.flatMap((law) => law.domain ?? [])]),
  };
  const yEncoding = (field: string) => ({
    field,
    type: "quantitative",
    title: options.yTitle ?? y,
    scale: logY ? LOG_SCALE : { zero: false },
  });

  // One colour scale over the series, then laws of their own (no series) by label.
  const seriesOf = (row: PlotRow) => String(row[color!.field]);
  const pointSeries = color && !gradient
    ? [...(color.order ?? naturalOrder(points.map(seriesOf)))]
    : [];
  const unknown = laws.find((law) => law.series !== undefined && !pointSeries.includes(law.series));
  if (unknown) {
    throw new RangeError(
      `scaling plot: law "${unknown.label}" is drawn for series "${unknown.series}", ` +
        `which no point has; series: ${pointSeries.join(", ") || "none"}`,
    );
  }
  const ownLaws = gradient ? [] : laws.filter((law) => law.series === undefined);
  // Points with no series take the colour of a single law of their own.
  // Laws of their own are keyed `f0`, `f1`, … in the data; their equations go in the legend.
  const ownKey = (law: FittedCurve) => `f${ownLaws.indexOf(law)}`;
  const pointsFollowLaw = !color && ownLaws.length === 1 ? ownKey(ownLaws[0]) : undefined;
  const labelCount = new Map<string, number>();
  for (const law of laws) labelCount.set(law.label, (labelCount.get(law.label) ?? 0) + 1);
  // Laws named in the line-style legend: shared or dashed ones, and every law when the points'
  // colour is a gradient (no colour entry to carry an equation).
  const styled = laws.filter((law) =>
    gradient || (law.series !== undefined && (law.dashed || labelCount.get(law.label)! > 1))
  );
  const styles = [...new Set(styled.map((law) => law.label))];
  const perSeries = new Map(
    laws.filter((law) => law.series !== undefined && !styled.includes(law))
      .map((law) => [law.series!, law.label]),
  );
  const domain = [...pointSeries, ...ownLaws.map(ownKey)];
  const legendLabels = Object.fromEntries([
    ...[...perSeries].map(([series, law]) => [series, `${series}: ${law}`]),
    ...ownLaws.map((law) => [ownKey(law), law.label]),
  ]);
  const labelExpr = Object.keys(legendLabels).length > 0 ? labelLookup(legendLabels) : undefined;
  const colorEncoding = {
    field: SERIES,
    type: color?.type === "ordinal" ? "ordinal" : "nominal",
    title: color?.title ?? color?.field ?? null,
    scale: { domain },
    legend: {
      ...(perSeries.size > 0 || ownLaws.length > 0 ? BOTTOM_LEGEND : {}),
      ...(labelExpr ? { labelExpr } : {}),
    },
  };

  const tooltip = [
    ...(color ? [{ field: color.field, type: gradient ? "quantitative" : "nominal" }] : []),
    ...(options.tooltip ?? []).map((field) => ({ field })),
    { field: x, type: "quantitative", format: ".4~s" },
    { field: y, type: "quantitative", format: ".4~g" },
  ];
  const pointRows = points.map((row) => ({
    ...row,
    [SERIES]: color && !gradient ? seriesOf(row) : pointsFollowLaw ?? "observed",
  }));
  const pointColor = gradient
    ? {
      color: {
        field: color!.field,
        type: "quantitative",
        title: color!.title ?? color!.field,
        ...(color!.log
          ? {
            scale: { type: "log", scheme: "viridis" },
            legend: { labelExpr: POWER_OF_TEN_LABELS },
          }
          : {}),
      },
    }
    : color || pointsFollowLaw
    ? { color: colorEncoding }
    : {};
  const pointLayer = {
    data: { values: pointRows },
    mark: {
      type: "point",
      filled: true,
      size: 44,
      opacity: 0.85,
      ...(color || pointsFollowLaw ? {} : { color: "#555" }),
    },
    encoding: { y: yEncoding(y), ...pointColor, tooltip },
  };
  const labelLayer = options.pointLabel
    ? [{
      data: { values: pointRows },
      mark: { type: "text", align: "left", dx: 6, dy: -6, fontSize: 10, color: "#444" },
      encoding: { y: yEncoding(y), text: { field: options.pointLabel } },
    }]
    : [];
  // The x axis is shared by every layer, written once.
  const shared = { encoding: { x: xAxis } };
  if (laws.length === 0) {
    return topLevelSpec({ ...shared, layer: [pointLayer, ...labelLayer] }, options);
  }

  const lawColor = (law: FittedCurve) => law.series ?? ownKey(law);
  const curveRows = (subset: readonly FittedCurve[]) =>
    subset.flatMap((law) => {
      const [low, high] = law.domain ?? [xMin, xMax];
      return logSpaced(low, high, samples).map((value) => ({
        [x]: value,
        [y]: law.predict(value),
        [SERIES]: lawColor(law),
        [LAW]: laws.indexOf(law),
        // The style's index: its label (an equation) is written once, in the legend.
        ...(styled.includes(law) ? { [STYLE]: `s${styles.indexOf(law.label)}` } : {}),
      }));
    });
  const bandRows = laws.flatMap((law, k) =>
    (law.band ?? []).map((row) => ({
      [x]: row.x,
      lower: row.lower,
      upper: row.upper,
      [SERIES]: lawColor(law),
      [LAW]: k,
    }))
  );
  const lawColorEncoding = gradient ? { color: { value: "#222" } } : { color: colorEncoding };
  const strokeDash = {
    field: STYLE,
    type: "nominal",
    title: options.lawTitle ?? (bandRows.length > 0 ? "fit (shaded: 95% bootstrap band)" : "fit"),
    scale: {
      domain: styles.map((_, k) => `s${k}`),
      range: styles.map((label, k) =>
        styled.find((law) => law.label === label)!.dashed ? DASHES[1] : DASHES[k % DASHES.length]
      ),
    },
    legend: {
      ...BOTTOM_LEGEND,
      symbolStrokeColor: "#333",
      symbolType: "stroke",
      labelExpr: labelLookup(Object.fromEntries(styles.map((label, k) => [`s${k}`, label]))),
    },
  };
  const layers: Record<string, unknown>[] = [];
  if (bandRows.length > 0) {
    layers.push({
      data: { values: bandRows },
      mark: { type: "area", opacity: 0.16 },
      encoding: {
        y: yEncoding("lower"),
        y2: { field: "upper" },
        ...lawColorEncoding,
        detail: { field: LAW },
        tooltip: null,
      },
    });
  }
  for (
    const [subset, dash] of [[laws.filter((law) => !styled.includes(law)), false], [
      styled,
      true,
    ]] as const
  ) {
    if (subset.length === 0) continue;
    layers.push({
      data: { values: curveRows(subset) },
      mark: { type: "line", strokeWidth: 2, clip: true },
      encoding: {
        y: yEncoding(y),
        ...lawColorEncoding,
        ...(dash ? { strokeDash } : {}),
        detail: { field: LAW },
        tooltip: null,
      },
    });
  }
  layers.push(pointLayer, ...labelLayer);
  return topLevelSpec({
    ...shared,
    layer: layers,
    ...(gradient ? { resolve: { scale: { color: "independent" } } } : {}),
  }, options);
}
