/**
 * A roofline plot: achieved FLOP/s against arithmetic intensity (FLOPs per byte) on log-log
 * axes, under the roof min(peak FLOP/s, bandwidth × intensity) of the adapter.
 *
 * @module
 */

import {
  LOG_SCALE,
  logSpaced,
  type PlotLayout,
  type PlotRow,
  type PlotSpec,
  requireFields,
  topLevelSpec,
} from "./spec.ts";

/** The adapter's two roofs. */
export interface Roof {
  /** Peak FLOP/s. */
  flops: number;
  /** Peak bytes/s. */
  bandwidth: number;
}

/** Fields and labels of {@link rooflineSpec}. */
export interface RooflineOptions extends PlotLayout {
  /** Field with the arithmetic intensity in FLOP/byte (default `"intensity"`). */
  x?: string;
  /** Field with the achieved FLOP/s (default `"flops"`). */
  y?: string;
  /** Field coloring the points (default `"name"`). */
  color?: string;
  /** Field shown in tooltips beside the numbers (default `"label"`). */
  label?: string;
  /** Name of the adapter, for the roof's legend (default `"peak"`). */
  adapter?: string;
}

/**
 * Benchmark points (GFLOP/s on the y axis) under the adapter's roof, which is drawn over the
 * points' intensity range widened to include the ridge point.
 *
 * @example
 * ```ts
 * const spec = rooflineSpec(
 *   [{ name: "matmul", label: "512x512x512", intensity: 85, flops: 2e10 }],
 *   { flops: 5e10, bandwidth: 2e10 },
 * );
 * ```
 */
export function rooflineSpec(
  rows: readonly PlotRow[],
  roof: Roof,
  options: RooflineOptions = {},
): PlotSpec {
  const x = options.x ?? "intensity";
  const y = options.y ?? "flops";
  const color = options.color ?? "name";
  const label = options.label ?? "label";
  requireFields(rows, [x, y, color, label], "roofline");
  if (!(roof.flops > 0 && roof.bandwidth > 0)) {
    throw new RangeError(
      `roofline: peak FLOP/s and bandwidth must be positive, got ${roof.flops}, ${roof.bandwidth}`,
    );
  }
  const ridge = roof.flops / roof.bandwidth;
  const intensities = rows.map((r) => Number(r[x])).filter((v) => v > 0 && Number.isFinite(v));
  if (intensities.length === 0) throw new RangeError(`roofline: no positive "${x}" to plot`);
  const low = Math.min(ridge, ...intensities) / 4;
  const high = Math.max(ridge, ...intensities) * 4;
  const adapter = options.adapter ?? "peak";
  const roofRows = logSpaced(low, high, 60).map((intensity) => ({
    intensity,
    gflops: Math.min(roof.flops, roof.bandwidth * intensity) / 1e9,
  }));
  const points = rows.map((r) => ({
    intensity: Number(r[x]),
    gflops: Number(r[y]) / 1e9,
    family: String(r[color]),
    label: String(r[label]),
    fraction: Number(r[y]) / Math.min(roof.flops, roof.bandwidth * Number(r[x])),
  }));
  const xEncoding = {
    field: "intensity",
    type: "quantitative",
    scale: LOG_SCALE,
    title: "arithmetic intensity (FLOP/byte)",
  };
  const yEncoding = {
    field: "gflops",
    type: "quantitative",
    scale: LOG_SCALE,
    title: "achieved GFLOP/s",
  };
  const roofText = `${adapter}: ${(roof.flops / 1e9).toPrecision(3)} GFLOP/s, ` +
    `${(roof.bandwidth / 1e9).toPrecision(3)} GB/s`;
  return topLevelSpec({
    layer: [
      {
        data: { values: roofRows },
        mark: { type: "line", color: "#444", strokeWidth: 2 },
        encoding: { x: xEncoding, y: yEncoding },
      },
      {
        data: { values: [{ intensity: ridge, gflops: roof.flops / 1e9, text: roofText }] },
        mark: { type: "text", align: "center", baseline: "top", dy: 6, color: "#444" },
        encoding: { x: xEncoding, y: yEncoding, text: { field: "text" } },
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          x: xEncoding,
          y: yEncoding,
          color: { field: "family", type: "nominal", title: "benchmark" },
          tooltip: [
            { field: "label", title: "problem" },
            { field: "gflops", format: ".3g", title: "GFLOP/s" },
            { field: "intensity", format: ".3g", title: "FLOP/byte" },
            { field: "fraction", format: ".0%", title: "of roof" },
          ],
        },
      },
    ],
  }, { title: options.title ?? "Roofline", width: options.width, height: options.height });
}
