/**
 * Plot themes: the Vega-Lite `config` every spec carries (`default`), and `paper`, a print
 * look (larger type, black frame and ticks, a colour-blind-safe palette) that
 * `deno task plots DIR --theme paper` applies when it renders.
 *
 * @module
 */

import type { PlotSpec } from "./spec.ts";

/** Font family of every text mark; PNG rendering ships DejaVu Sans. */
export const PLOT_FONT = "DejaVu Sans";

/** Theme names {@link themeConfig} knows. */
export const PLOT_THEMES = ["default", "paper"] as const;

/** A theme name. */
export type PlotTheme = typeof PLOT_THEMES[number];

/** Tableau 10, Vega's default categorical palette, spelled out so every renderer agrees. */
const TABLEAU10 = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/** Okabe and Ito's colour-blind-safe palette (yellow last: it is faint on white). */
const OKABE_ITO = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#d55e00",
  "#cc79a7",
  "#56b4e9",
  "#000000",
  "#f0e442",
];

const DEFAULT_CONFIG = {
  font: PLOT_FONT,
  background: "white",
  range: { category: TABLEAU10 },
  legend: { labelLimit: 0, titleLimit: 0, labelFontSize: 11, titleFontSize: 11, symbolOpacity: 1 },
  axis: { titleFontWeight: "normal", labelFontSize: 11, titleFontSize: 12, titlePadding: 8 },
  header: { labelFontSize: 12, titleFontWeight: "normal" },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555" },
};

const PAPER_CONFIG = {
  ...DEFAULT_CONFIG,
  range: { category: OKABE_ITO },
  view: { stroke: "#000" },
  legend: { ...DEFAULT_CONFIG.legend, labelFontSize: 12, titleFontSize: 12 },
  axis: {
    ...DEFAULT_CONFIG.axis,
    labelFontSize: 12,
    titleFontSize: 13,
    domainColor: "#000",
    tickColor: "#000",
    labelColor: "#000",
    titleColor: "#000",
    gridColor: "#eee",
  },
  header: { labelFontSize: 13, titleFontWeight: "normal" },
  title: { fontSize: 14, fontWeight: "normal", subtitleFontSize: 12, subtitleColor: "#333" },
  line: { strokeWidth: 2 },
};

/**
 * The Vega-Lite `config` of a theme (a fresh copy).
 *
 * @example
 * ```ts
 * themeConfig("paper").range.category[0]; // "#0072b2"
 * ```
 */
export function themeConfig(theme: PlotTheme = "default"): typeof DEFAULT_CONFIG {
  if (!PLOT_THEMES.includes(theme)) {
    throw new RangeError(`unknown plot theme "${theme}"; themes: ${PLOT_THEMES.join(", ")}`);
  }
  return structuredClone(theme === "paper" ? PAPER_CONFIG : DEFAULT_CONFIG);
}

/**
 * The spec with its `config` replaced by the theme's (keeping any config key the theme does not
 * set, such as a spec's own `concat` spacing).
 *
 * @example
 * ```ts
 * const printed = applyTheme(spec, "paper");
 * ```
 */
export function applyTheme(spec: PlotSpec, theme: PlotTheme): PlotSpec {
  const own = (spec as { config?: Record<string, unknown> }).config ?? {};
  return { ...spec, config: { ...own, ...themeConfig(theme) } } as PlotSpec;
}
